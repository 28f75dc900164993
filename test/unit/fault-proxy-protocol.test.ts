/**
 * The protocol inspectors on hand-built bytes: every byte fed comes out once, in order, and
 * statements are found however the stream is fragmented.
 */
import { describe, expect, it } from 'vitest';
import type { ProtocolInspector, Statement } from '../../src/testing/fault-proxy/inspector';
import { CLIENT, MysqlInspector } from '../../src/testing/fault-proxy/mysql-protocol';
import {
  PG_CANCEL_REQUEST_CODE,
  PG_SSL_REQUEST_CODE,
  PostgresInspector,
} from '../../src/testing/fault-proxy/postgres-protocol';

/** Feed `bytes` in pieces of `size`; check that the bytes come out intact; return statements. */
function feed(inspector: ProtocolInspector, bytes: Buffer, size = bytes.length): Statement[] {
  const out: Buffer[] = [];
  const statements: Statement[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    for (const segment of inspector.fromClient(bytes.subarray(i, i + size))) {
      out.push(segment.bytes);
      if (segment.statement) {
        statements.push(segment.statement);
        // A statement segment is exactly one whole message.
        expect(bytes.includes(segment.bytes)).toBe(true);
      }
    }
  }
  expect(Buffer.concat(out).equals(bytes)).toBe(true);
  return statements;
}

const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

// ---- PostgreSQL ---------------------------------------------------------------------------

const pgStartup = (): Buffer => {
  const body = Buffer.concat([int32(196608), cstr('user'), cstr('postgres'), Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
};
const pgSslRequest = (): Buffer => Buffer.concat([int32(8), int32(PG_SSL_REQUEST_CODE)]);
const pgMessage = (type: string, payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from(type), int32(payload.length + 4), payload]);
const pgQuery = (sql: string): Buffer => pgMessage('Q', cstr(sql));
const pgParse = (name: string, sql: string): Buffer =>
  pgMessage('P', Buffer.concat([cstr(name), cstr(sql), Buffer.from([0, 0])]));
const pgPassword = (): Buffer => pgMessage('p', cstr('secret'));
const pgSync = (): Buffer => pgMessage('S', Buffer.alloc(0));

describe('PostgresInspector', () => {
  const session = Buffer.concat([
    pgStartup(),
    pgPassword(),
    pgQuery('BEGIN'),
    pgQuery("INSERT INTO t VALUES ('é')"),
    pgParse('s1', 'COMMIT'),
    pgSync(),
  ]);

  it.each([1, 2, 3, 7, 64, session.length])(
    'finds Query and Parse texts in fragments of %i bytes',
    (size) => {
      const statements = feed(new PostgresInspector(), session, size);
      expect(statements).toEqual([
        { message: 'Query', text: 'BEGIN' },
        { message: 'Query', text: "INSERT INTO t VALUES ('é')" },
        { message: 'Parse', text: 'COMMIT' },
      ]);
    },
  );

  it("follows an SSLRequest answered 'N' to the plain startup that follows", () => {
    const inspector = new PostgresInspector();
    expect(feed(inspector, pgSslRequest())).toEqual([]);
    inspector.fromServer(Buffer.from('N'));
    expect(feed(inspector, Buffer.concat([pgStartup(), pgQuery('SELECT 1')]), 5)).toEqual([
      { message: 'Query', text: 'SELECT 1' },
    ]);
    expect(inspector.passthrough).toBe(false);
  });

  it("passes everything through after an SSLRequest answered 'S'", () => {
    const inspector = new PostgresInspector();
    feed(inspector, pgSslRequest());
    inspector.fromServer(Buffer.from('S'));
    // A TLS record, then bytes that would look like a Query if they were parsed.
    const after = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]), pgQuery('COMMIT')]);
    expect(feed(inspector, after, 3)).toEqual([]);
    expect(inspector.passthrough).toBe(true);
  });

  it('passes direct TLS (PostgreSQL 17 sslnegotiation=direct) through', () => {
    const inspector = new PostgresInspector();
    expect(feed(inspector, Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), pgQuery('COMMIT')]))).toEqual([]);
    expect(inspector.passthrough).toBe(true);
  });

  it('does not parse past a CancelRequest', () => {
    const inspector = new PostgresInspector();
    const cancel = Buffer.concat([int32(16), int32(PG_CANCEL_REQUEST_CODE), int32(1), int32(2)]);
    expect(feed(inspector, Buffer.concat([cancel, pgQuery('COMMIT')]))).toEqual([]);
  });

  it('hands opaque messages on at once and holds only an incomplete statement', () => {
    const inspector = new PostgresInspector();
    feed(inspector, pgStartup());
    const copyData = pgMessage('d', Buffer.alloc(100, 1));
    // Half a CopyData message comes out immediately.
    expect(inspector.fromClient(copyData.subarray(0, 50)).reduce((n, s) => n + s.bytes.length, 0)).toBe(50);
    inspector.fromClient(copyData.subarray(50));
    const query = pgQuery('SELECT 1');
    expect(inspector.fromClient(query.subarray(0, 8))).toEqual([]);
    const [segment] = inspector.fromClient(query.subarray(8));
    expect(segment?.bytes.equals(query)).toBe(true);
    expect(segment?.statement?.text).toBe('SELECT 1');
  });

  it('gives up (passthrough) on bytes it cannot frame', () => {
    const inspector = new PostgresInspector();
    const garbage = Buffer.concat([int32(0x7fffffff), int32(0), pgQuery('COMMIT')]);
    expect(feed(inspector, garbage)).toEqual([]);
    expect(inspector.passthrough).toBe(true);
  });
});

// ---- MySQL / MariaDB ----------------------------------------------------------------------

const myPacket = (sequence: number, payload: Buffer): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
};
const myHandshakeResponse = (capabilities: number): Buffer => {
  const fixed = Buffer.alloc(32);
  fixed.writeUInt32LE(capabilities >>> 0, 0);
  fixed.writeUInt32LE(16 * 1024 * 1024, 4);
  fixed[8] = 45;
  return myPacket(1, Buffer.concat([fixed, cstr('root'), Buffer.from([0])]));
};
const myCommand = (code: number, text: string, prefix: Buffer = Buffer.alloc(0)): Buffer =>
  myPacket(0, Buffer.concat([Buffer.from([code]), prefix, Buffer.from(text, 'utf8')]));
const myQuery = (sql: string): Buffer => myCommand(0x03, sql);
const myPrepare = (sql: string): Buffer => myCommand(0x16, sql);
const myPing = (): Buffer => myPacket(0, Buffer.from([0x0e]));

describe('MysqlInspector', () => {
  const caps = CLIENT.PROTOCOL_41;
  const session = Buffer.concat([
    myHandshakeResponse(caps),
    myPacket(3, Buffer.from('auth switch response')), // authentication continues: sequence > 0
    myQuery('SET autocommit=0'),
    myPing(),
    myPrepare('INSERT INTO t VALUES (?)'),
    myQuery("INSERT INTO t VALUES ('é')"),
    myQuery('COMMIT'),
  ]);

  it.each([1, 3, 5, 64, session.length])(
    'finds COM_QUERY and COM_STMT_PREPARE in fragments of %i bytes',
    (size) => {
      expect(feed(new MysqlInspector(), session, size)).toEqual([
        { message: 'COM_QUERY', text: 'SET autocommit=0' },
        { message: 'COM_STMT_PREPARE', text: 'INSERT INTO t VALUES (?)' },
        { message: 'COM_QUERY', text: "INSERT INTO t VALUES ('é')" },
        { message: 'COM_QUERY', text: 'COMMIT' },
      ]);
    },
  );

  it('ignores packets with a sequence id other than 0 (e.g. LOCAL INFILE data)', () => {
    const inspector = new MysqlInspector();
    feed(inspector, myHandshakeResponse(caps));
    const infileData = myPacket(2, Buffer.concat([Buffer.from([0x03]), Buffer.from('COMMIT')]));
    expect(feed(inspector, infileData)).toEqual([]);
  });

  it('passes through after an SSLRequest (CLIENT.SSL)', () => {
    const inspector = new MysqlInspector();
    const sslRequest = myPacket(1, myHandshakeResponse(caps | CLIENT.SSL).subarray(4, 36));
    expect(feed(inspector, Buffer.concat([sslRequest, myQuery('COMMIT')]), 4)).toEqual([]);
    expect(inspector.passthrough).toBe(true);
  });

  it('passes through when compression is negotiated', () => {
    const inspector = new MysqlInspector();
    expect(
      feed(inspector, Buffer.concat([myHandshakeResponse(caps | CLIENT.COMPRESS), myQuery('COMMIT')])),
    ).toEqual([]);
    expect(inspector.passthrough).toBe(true);
  });

  it('skips the empty query attributes of CLIENT.QUERY_ATTRIBUTES (MySQL 8.0.23+)', () => {
    const inspector = new MysqlInspector();
    const bytes = Buffer.concat([
      myHandshakeResponse(caps | CLIENT.QUERY_ATTRIBUTES),
      myCommand(0x03, 'COMMIT', Buffer.from([0x00, 0x01])),
    ]);
    expect(feed(inspector, bytes)).toEqual([{ message: 'COM_QUERY', text: 'COMMIT' }]);
  });

  it('does not take a 16 MiB continuation packet for a command', () => {
    const inspector = new MysqlInspector();
    feed(inspector, myHandshakeResponse(caps));
    const first = myPacket(0, Buffer.concat([Buffer.from([0x03]), Buffer.alloc(0xffffff - 1, 0x20)]));
    const rest = myPacket(1, Buffer.from('x'));
    const statements = feed(inspector, Buffer.concat([first, rest, myQuery('COMMIT')]), 1 << 20);
    expect(statements.map((s) => s.text.trim())).toEqual(['', 'COMMIT']);
  });
});
