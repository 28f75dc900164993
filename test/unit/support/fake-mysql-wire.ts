import type { Row, Value } from './fake-node';

/**
 * The MySQL client/server protocol's server side, as much of it as mysql2 uses: the v10 handshake,
 * OK / ERR / EOF packets, and result sets in the text (COM_QUERY) and binary (COM_STMT_EXECUTE)
 * formats. No CLIENT_DEPRECATE_EOF, no session tracking, no TLS, no compression.
 */

/** An ERR packet's fields. */
export interface MysqlError {
  readonly errno: number;
  readonly sqlState: string;
  readonly message: string;
}

/** What the handshake offers: 4.1 protocol and auth, multi-statements/results, plugin auth, attributes. */
const CAPABILITIES =
  0x1 |
  0x2 |
  0x4 |
  0x8 |
  0x200 |
  0x2000 |
  0x8000 |
  0x10000 |
  0x20000 |
  0x40000 |
  0x80000 |
  0x100000 |
  0x200000;
const UTF8MB4_GENERAL_CI = 45;
const STATUS_AUTOCOMMIT = 0x0002;
/** Column types mysql2 parses: LONG (a JS number) and VAR_STRING (a string in a text charset). */
const LONG = 0x03;
const VAR_STRING = 0xfd;

/** Frames payloads as packets numbered from `firstSequence`. */
export function packets(firstSequence: number, payloads: readonly Buffer[]): Buffer {
  return Buffer.concat(
    payloads.map((payload, index) => {
      const header = Buffer.alloc(4);
      header.writeUIntLE(payload.length, 0, 3);
      header[3] = (firstSequence + index) & 0xff;
      return Buffer.concat([header, payload]);
    }),
  );
}

function uint(value: number, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  buffer.writeUIntLE(value, 0, bytes);
  return buffer;
}

/** A length-encoded integer (values below 2^24 are all this fake writes). */
function lenenc(value: number): Buffer {
  if (value < 0xfb) return Buffer.from([value]);
  if (value < 0x10000) return Buffer.concat([Buffer.from([0xfc]), uint(value, 2)]);
  return Buffer.concat([Buffer.from([0xfd]), uint(value, 3)]);
}

function lenencString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([lenenc(bytes.length), bytes]);
}

export function handshake(serverVersion: string, connectionId: number): Buffer {
  const scramble = Buffer.from('abcdefghijklmnopqrst');
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from(`${serverVersion}\0`),
    uint(connectionId, 4),
    scramble.subarray(0, 8),
    Buffer.from([0]),
    uint(CAPABILITIES & 0xffff, 2),
    Buffer.from([UTF8MB4_GENERAL_CI]),
    uint(STATUS_AUTOCOMMIT, 2),
    uint(CAPABILITIES >>> 16, 2),
    Buffer.from([21]),
    Buffer.alloc(10),
    scramble.subarray(8),
    Buffer.from('\0mysql_native_password\0'),
  ]);
}

export function ok(affectedRows = 0): Buffer {
  return Buffer.concat([
    Buffer.from([0]),
    lenenc(affectedRows),
    lenenc(0),
    uint(STATUS_AUTOCOMMIT, 2),
    uint(0, 2),
  ]);
}

export function err(error: MysqlError): Buffer {
  return Buffer.concat([
    Buffer.from([0xff]),
    uint(error.errno, 2),
    Buffer.from(`#${error.sqlState}${error.message}`),
  ]);
}

export function eof(): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), uint(0, 2), uint(STATUS_AUTOCOMMIT, 2)]);
}

/** COM_STMT_PREPARE's answer: the statement's id and parameter count; its columns come with each execute. */
export function prepareOk(statementId: number, parameters: number): Buffer[] {
  const header = Buffer.concat([
    Buffer.from([0]),
    uint(statementId, 4),
    uint(0, 2),
    uint(parameters, 2),
    Buffer.alloc(3),
  ]);
  const definitions = Array.from({ length: parameters }, () => columnDefinition('?', VAR_STRING));
  return parameters > 0 ? [header, ...definitions, eof()] : [header];
}

function columnDefinition(name: string, type: number): Buffer {
  return Buffer.concat([
    ...['def', '', '', '', name, name].map(lenencString),
    Buffer.from([0x0c]),
    uint(UTF8MB4_GENERAL_CI, 2),
    uint(1024, 4),
    Buffer.from([type]),
    uint(0, 2),
    Buffer.from([0]),
    Buffer.alloc(2),
  ]);
}

/** A result set's payloads, in the text or the binary row format. */
export function resultSet(rows: readonly Row[], columns: readonly string[], binary: boolean): Buffer[] {
  const types = columns.map((name) =>
    rows.some((row) => typeof row[name] === 'number') ? LONG : VAR_STRING,
  );
  const encodeRow = binary ? binaryRow : textRow;
  return [
    lenenc(columns.length),
    ...columns.map((name, i) => columnDefinition(name, types[i] as number)),
    eof(),
    ...rows.map((row) => encodeRow(columns.map((name) => row[name] ?? null))),
    eof(),
  ];
}

function scalar(value: Value): string | number | null {
  return typeof value === 'boolean' ? Number(value) : value;
}

function textRow(values: readonly Value[]): Buffer {
  return Buffer.concat(
    values.map((v) => (v === null ? Buffer.from([0xfb]) : lenencString(String(scalar(v))))),
  );
}

function binaryRow(values: readonly Value[]): Buffer {
  const nulls = Buffer.alloc(Math.floor((values.length + 7 + 2) / 8));
  const fields: Buffer[] = [];
  values.forEach((value, i) => {
    const v = scalar(value);
    if (v === null) nulls[(i + 2) >> 3] = (nulls[(i + 2) >> 3] as number) | (1 << ((i + 2) & 7));
    else if (typeof v === 'number') fields.push(uint(v >>> 0, 4));
    else fields.push(lenencString(v));
  });
  return Buffer.concat([Buffer.from([0]), nulls, ...fields]);
}
