import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/core/classify';
import { SessionNotWritableError } from '../../src/core/node-pool';
import { postgresDialect } from '../../src/dialects/postgres/dialect';
import { bytesToLsn, lsnToBytes, timelineOf } from '../../src/dialects/postgres/lsn';
import { isProbeUnsupported, PROBE_STATEMENTS, parseProbe } from '../../src/dialects/postgres/probe';
import { sessionWritableFromParameters } from '../../src/dialects/postgres/session';
import { connect, statement } from './support/failure-contexts';

/** Rows as PostgreSQL 15 returned them to the probe, as a non-superuser app role. */
const PRIMARY_ROW = {
  in_recovery: false,
  read_only: 'off',
  wal_file: '000000020000000000000003',
  current_lsn: '0/3000148',
  receive_lsn: null,
  replay_lsn: null,
  server_version: '15.20 (Debian 15.20-0+deb12u1)',
  receivers: 0,
  receiver_status: null,
  sender_host: null,
  sender_port: null,
  system_identifier: '7711415449724082279',
};
const STANDBY_ROW = {
  in_recovery: true,
  read_only: 'on',
  wal_file: null,
  current_lsn: null,
  receive_lsn: '0/3000148',
  replay_lsn: '0/3000100',
  server_version: '15.20 (Debian 15.20-0+deb12u1)',
  receivers: 1,
  receiver_status: null, // hidden from roles without pg_read_all_stats
  sender_host: null,
  sender_port: null,
  system_identifier: '7711415449724082279',
};

/** A server error as node-postgres builds it (DatabaseError has `severity` and a SQLSTATE `code`). */
function serverError(code: string, severity = 'ERROR'): Error {
  return Object.assign(new Error(`server said ${code}`), { code, severity });
}
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), {
    code,
    errno: -111,
    syscall: 'connect',
  });
}

describe('postgres dialect: probe', () => {
  it('reads a primary: role, timeline from the WAL file name, LSN, identity', () => {
    expect(parseProbe(PRIMARY_ROW)).toEqual({
      role: 'primary',
      writable: true,
      generation: 2,
      position: '0/3000148',
      positionBytes: 0x3000148n,
      identity: '7711415449724082279',
      serverVersion: '15.20 (Debian 15.20-0+deb12u1)',
    });
  });

  it('refuses an answer without the columns that decide the role, rather than take it for a primary', () => {
    expect(() => parseProbe({})).toThrow("the probe's answer has no in_recovery (a boolean); it has nothing");
    expect(() => parseProbe({ ...PRIMARY_ROW, read_only: 1 })).toThrow(
      "the probe's answer has no read_only ('on' or 'off'); it has 1",
    );
  });

  it('sees a primary with default_transaction_read_only=on as not writable', () => {
    expect(parseProbe({ ...PRIMARY_ROW, read_only: 'on' })).toMatchObject({
      role: 'primary',
      writable: false,
    });
  });

  it('reads a standby: furthest of received and replayed, receiving from the row count alone', () => {
    expect(parseProbe(STANDBY_ROW)).toEqual({
      role: 'replica',
      writable: false,
      position: '0/3000148',
      positionBytes: 0x3000148n,
      identity: '7711415449724082279',
      serverVersion: '15.20 (Debian 15.20-0+deb12u1)',
      replication: { receiving: true, replayLagBytes: 0x48 },
    });
  });

  it("reads a standby's staleness in whole milliseconds, never below 0 (clocks a little apart)", () => {
    expect(parseProbe({ ...STANDBY_ROW, replay_lag_ms: 312.6 }).lagMs).toBe(313);
    expect(parseProbe({ ...STANDBY_ROW, replay_lag_ms: 0 }).lagMs).toBe(0);
    expect(parseProbe({ ...STANDBY_ROW, replay_lag_ms: -4.2 }).lagMs).toBe(0);
    // Nothing replayed since the standby started: no figure rather than a made-up one.
    expect(parseProbe({ ...STANDBY_ROW, replay_lag_ms: null }).lagMs).toBeUndefined();
  });

  it('sees a standby whose receiver is gone, or not streaming, as not receiving', () => {
    expect(parseProbe({ ...STANDBY_ROW, receivers: 0 }).replication?.receiving).toBe(false);
    expect(parseProbe({ ...STANDBY_ROW, receiver_status: 'waiting' }).replication?.receiving).toBe(false);
    expect(
      parseProbe({
        ...STANDBY_ROW,
        receiver_status: 'streaming',
        sender_host: '10.0.0.1',
        sender_port: 5432,
      }).replication,
    ).toMatchObject({ receiving: true, sourceHost: '10.0.0.1', sourcePort: 5432 });
  });

  it('falls back to a simpler probe on missing privilege or function', () => {
    expect(isProbeUnsupported(serverError('42501'))).toBe(true);
    expect(isProbeUnsupported(serverError('42883'))).toBe(true);
    expect(isProbeUnsupported(serverError('57P01', 'FATAL'))).toBe(false);
    expect(PROBE_STATEMENTS).toHaveLength(3);
  });

  it('converts LSNs and timelines', () => {
    expect(lsnToBytes('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(bytesToLsn((0x16n << 32n) + 0xb374d848n)).toBe('16/B374D848');
    expect(lsnToBytes('nonsense')).toBeUndefined();
    expect(timelineOf('0000000A000000000000004F')).toBe(10);
    expect(timelineOf(undefined)).toBeUndefined();
  });

  it('tells a writable session from the parameters the server reports', () => {
    const params = (entries: Record<string, string>) => new Map(Object.entries(entries));
    expect(
      sessionWritableFromParameters(params({ in_hot_standby: 'off', default_transaction_read_only: 'off' })),
    ).toBe(true);
    expect(sessionWritableFromParameters(params({ in_hot_standby: 'on' }))).toBe(false);
    expect(
      sessionWritableFromParameters(params({ in_hot_standby: 'off', default_transaction_read_only: 'on' })),
    ).toBe(false);
    expect(sessionWritableFromParameters(params({ server_version: '13.1' }))).toBeUndefined();
  });
});

describe('postgres dialect: what a failure means', () => {
  const classify = postgresDialect.classifyError;

  it('a read-only rejection (25006) certainly did not apply', () => {
    expect(classify(serverError('25006'), statement())).toBe('read-only');
    expect(classifyFailure(postgresDialect, new SessionNotWritableError('a:1', 'standby'))).toBe('read-only');
  });

  it('connect failures are safe to re-run; configuration mistakes are not failovers', () => {
    expect(classify(socketError('ECONNREFUSED'), connect)).toBe('connect-failed');
    expect(classify(new Error('Connection terminated due to connection timeout'), connect)).toBe(
      'connect-failed',
    );
    expect(classify(serverError('57P03', 'FATAL'), connect)).toBe('connect-failed'); // shutting down / starting up
    expect(classify(serverError('28P01', 'FATAL'), connect)).toBe('application'); // wrong password
    expect(classify(serverError('3D000', 'FATAL'), connect)).toBe('application'); // no such database
    expect(classify(new TypeError('bug'), connect)).toBe('application');
  });

  it('a statement the server terminated during shutdown (57P01) was rolled back', () => {
    expect(classify(serverError('57P01', 'FATAL'), statement())).toBe('terminated');
  });

  it('but not when the server warned that the commit had already happened locally', () => {
    const warning = {
      code: '57P01',
      severity: 'WARNING',
      message: 'canceling the wait for synchronous replication',
    };
    expect(classify(serverError('57P01', 'FATAL'), statement({ notices: [warning] }))).toBe(
      'connection-lost',
    );
    expect(classify(new Error('Connection terminated unexpectedly'), statement({ notices: [warning] }))).toBe(
      'connection-lost',
    );
  });

  it('nor when the text held several statements, one of which may have committed', () => {
    expect(classify(serverError('57P01', 'FATAL'), statement({ multiStatement: true }))).toBe(
      'connection-lost',
    );
  });

  it('a connection that died after sending leaves the outcome unknown', () => {
    expect(classify(new Error('Connection terminated unexpectedly'), statement())).toBe('connection-lost');
    expect(classify(socketError('ECONNRESET'), statement())).toBe('connection-lost');
    expect(classify(serverError('57P02', 'FATAL'), statement())).toBe('connection-lost'); // crash of another backend
    expect(classify(serverError('08006', 'FATAL'), statement())).toBe('connection-lost');
  });

  it("a statement that outlived the app's query_timeout may still run: timed-out", () => {
    expect(classify(new Error('Query read timeout'), statement())).toBe('timed-out');
    expect(classify(new Error('Query read timeout'), statement({ sent: false }))).toBe('not-sent');
  });

  it('a statement that never left is safe to re-run', () => {
    expect(classify(new Error('Connection terminated unexpectedly'), statement({ sent: false }))).toBe(
      'not-sent',
    );
    expect(
      classify(new Error('Client has encountered a connection error and is not queryable'), statement()),
    ).toBe('not-sent');
  });

  it("the application's own errors stay the application's", () => {
    expect(classify(serverError('23505'), statement())).toBe('application'); // unique violation
    expect(classify(serverError('42601'), statement())).toBe('application'); // syntax
    expect(classify(serverError('57014'), statement())).toBe('application'); // statement timeout
    expect(classify(serverError('57014'), statement({ sent: true }))).toBe('application');
  });
});
