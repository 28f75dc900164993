import type { NodeProbe } from '../core/node';
import { withoutUndefined } from '../core/objects';
import type { FailureKind } from '../core/retry';
import type { Dialect, FailureContext, Row } from './dialect';

/**
 * PostgreSQL. Role from `pg_is_in_recovery()` and `transaction_read_only`; the generation is the
 * timeline, read from the current WAL file name because `pg_control_checkpoint().timeline_id`
 * still shows the old timeline right after a promotion (until the next checkpoint).
 */

const BASE_COLUMNS = `
  pg_is_in_recovery() AS in_recovery,
  current_setting('transaction_read_only') AS read_only,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS wal_file,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current_lsn,
  pg_last_wal_receive_lsn()::text AS receive_lsn,
  pg_last_wal_replay_lsn()::text AS replay_lsn,
  current_setting('server_version') AS server_version`;

/**
 * A role without pg_read_all_stats sees a WAL receiver's row but not its columns, so `receivers`
 * (the row count) is what says whether a standby is attached; status and sender show when allowed.
 */
const RECEIVER_COLUMNS = `
  (SELECT count(*) FROM pg_stat_wal_receiver)::int AS receivers,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status,
  (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1) AS sender_host,
  (SELECT sender_port FROM pg_stat_wal_receiver LIMIT 1) AS sender_port`;

const IDENTITY_COLUMN = `
  (SELECT system_identifier FROM pg_control_system())::text AS system_identifier`;

const PROBE_STATEMENTS = [
  `SELECT ${BASE_COLUMNS}, ${RECEIVER_COLUMNS}, ${IDENTITY_COLUMN}`,
  `SELECT ${BASE_COLUMNS}, ${RECEIVER_COLUMNS}`,
  `SELECT ${BASE_COLUMNS}`,
];

/** SQLSTATEs of the errors the failover rules care about. */
const READ_ONLY_SQL_TRANSACTION = '25006';
const ADMIN_SHUTDOWN = '57P01';
const CANNOT_CONNECT_NOW = '57P03';
const INSUFFICIENT_PRIVILEGE = '42501';
const UNDEFINED_FUNCTION = '42883';
const UNDEFINED_TABLE = '42P01';

/** Errors from the network or the socket, by Node.js error code. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** node-postgres reports a dead or closing connection with plain Errors; these are their messages. */
const CONNECTION_LOST_MESSAGES = [
  'Connection terminated',
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout expired',
  'timeout exceeded when trying to connect',
];
/** node-postgres's `query_timeout` ran out: the statement may still run on the server. */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';
const NOT_QUERYABLE_MESSAGES = [
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

export const postgresDialect: Dialect = {
  name: 'postgres',
  defaultPort: 5432,
  probeStatements: PROBE_STATEMENTS,

  parseProbe(row: Row): NodeProbe {
    const inRecovery = row.in_recovery === true;
    const readOnly = row.read_only === 'on';
    const serverVersion = optionalString(row.server_version);
    const identity = optionalString(row.system_identifier);
    if (!inRecovery) {
      const position = optionalString(row.current_lsn);
      return withoutUndefined({
        role: 'primary',
        writable: !readOnly,
        generation: timelineOf(optionalString(row.wal_file)),
        position,
        positionBytes: lsnToBytes(position),
        identity,
        serverVersion,
      });
    }
    const received = lsnToBytes(optionalString(row.receive_lsn));
    const replayed = lsnToBytes(optionalString(row.replay_lsn));
    // Patroni ranks standbys by the larger of the two; so do we.
    const furthest = maxBigint(received, replayed);
    const receivers = typeof row.receivers === 'number' ? row.receivers : undefined;
    const status = optionalString(row.receiver_status);
    return withoutUndefined({
      role: 'replica',
      writable: false,
      position: furthest === undefined ? undefined : bytesToLsn(furthest),
      positionBytes: furthest,
      identity,
      serverVersion,
      replication:
        receivers === undefined
          ? undefined
          : withoutUndefined({
              receiving: receivers > 0 && (status === undefined || status === 'streaming'),
              sourceHost: optionalString(row.sender_host),
              sourcePort: typeof row.sender_port === 'number' ? row.sender_port : undefined,
              replayLagBytes:
                received !== undefined && replayed !== undefined && received > replayed
                  ? Number(received - replayed)
                  : undefined,
            }),
    });
  },

  isProbeUnsupported(error: unknown): boolean {
    const code = sqlState(error);
    return code === INSUFFICIENT_PRIVILEGE || code === UNDEFINED_FUNCTION || code === UNDEFINED_TABLE;
  },

  classifyError(error: unknown, context: FailureContext): FailureKind {
    if (isSessionNotWritable(error)) return 'read-only';
    const state = sqlState(error);
    if (state !== undefined) return classifyServerError(state, context);
    if (context.phase === 'connect') return isNetworkFailure(error) ? 'connect-failed' : 'application';
    if (!context.sent || NOT_QUERYABLE_MESSAGES.includes(messageOf(error))) return 'not-sent';
    if (messageOf(error) === QUERY_TIMEOUT_MESSAGE) return 'timed-out';
    return isNetworkFailure(error) ? 'connection-lost' : 'application';
  },
};

function classifyServerError(state: string, context: FailureContext): FailureKind {
  if (state === READ_ONLY_SQL_TRANSACTION) return 'read-only';
  if (context.phase === 'connect') {
    // Starting up, shutting down, or a standby not yet consistent: nothing ran, try elsewhere.
    return state === CANNOT_CONNECT_NOW || state.startsWith('08') ? 'connect-failed' : 'application';
  }
  if (state === ADMIN_SHUTDOWN) {
    // The server ended the session during the statement and rolled it back. Except: a commit that
    // was waiting for a synchronous standby has committed locally; the server says so in a WARNING
    // (also 57P01) before closing. And a multi-statement text may have committed a part of itself.
    const committedLocally = context.notices.some((n) => sqlState(n) === ADMIN_SHUTDOWN);
    return committedLocally || context.multiStatement ? 'connection-lost' : 'terminated';
  }
  if (state.startsWith('57P') || state.startsWith('08')) return 'connection-lost';
  return 'application';
}

function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return CONNECTION_LOST_MESSAGES.includes(error.message) || NOT_QUERYABLE_MESSAGES.includes(error.message);
}

/** SQLSTATE of a server error or notice; undefined for client-side errors. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)
    ? code
    : undefined;
}

/** Thrown by the driver layer when a new connection turns out to be on a non-writable node. */
export class SessionNotWritableError extends Error {
  constructor(node: string, why: string) {
    super(`New connection to ${node} is not writable (${why}); the node is not the primary any more`);
    this.name = 'SessionNotWritableError';
  }
}

function isSessionNotWritable(error: unknown): boolean {
  return error instanceof SessionNotWritableError;
}

/**
 * Whether a session can write, from the ParameterStatus values the server reports at login and on
 * change (PostgreSQL 14+: `in_hot_standby`, `default_transaction_read_only`). Undefined when the
 * server does not report them (older versions): the caller must ask with a query.
 */
export function sessionWritableFromParameters(parameters: ReadonlyMap<string, string>): boolean | undefined {
  const hotStandby = parameters.get('in_hot_standby');
  if (hotStandby === undefined) return undefined;
  return hotStandby === 'off' && parameters.get('default_transaction_read_only') !== 'on';
}

/** For servers before 14, which do not report `in_hot_standby`. */
export const SESSION_WRITABLE_SQL =
  "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off' AS writable";

export function lsnToBytes(lsn: string | undefined): bigint | undefined {
  if (lsn === undefined) return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

export function bytesToLsn(bytes: bigint): string {
  return `${(bytes >> 32n).toString(16).toUpperCase()}/${(bytes & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The timeline is the first 8 hex digits of a WAL file name (`000000020000000000000003`). */
export function timelineOf(walFile: string | undefined): number | undefined {
  if (walFile === undefined || !/^[0-9A-Fa-f]{24}$/.test(walFile)) return undefined;
  return Number.parseInt(walFile.slice(0, 8), 16);
}

function maxBigint(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
