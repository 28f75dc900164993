import type { FailureContext } from '../../core/dialect';
import type { FailureKind } from '../../core/retry';
import { codeOf, NETWORK_ERROR_CODES } from '../network-errors';

/** SQLSTATEs of the errors the failover rules care about. */
const READ_ONLY_SQL_TRANSACTION = '25006';
export const ADMIN_SHUTDOWN = '57P01';
const CANNOT_CONNECT_NOW = '57P03';

/**
 * node-postgres reports a dead or closing connection with plain Errors; these are their messages.
 * Not among them: pg-pool's "timeout exceeded when trying to connect", which says the pool was full
 * for `connectionTimeoutMillis` (every client busy), not that a node failed: the caller gets it, as
 * from pg.Pool.
 */
const CONNECTION_LOST_MESSAGES = [
  'Connection terminated',
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout expired',
];
/** node-postgres's `query_timeout` ran out: the statement may still run on the server. */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';
const NOT_QUERYABLE_MESSAGES = [
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/**
 * What a PostgreSQL failure says about the statement that got it. Server errors carry a SQLSTATE;
 * node-postgres reports a connection that failed or died with a Node.js error code or a plain
 * message.
 */
export function classifyPostgresError(error: unknown, context: FailureContext): FailureKind {
  const state = sqlState(error);
  if (state !== undefined) return classifyServerError(state, context);
  if (context.phase === 'connect') return isNetworkFailure(error) ? 'connect-failed' : 'application';
  if (!context.sent || NOT_QUERYABLE_MESSAGES.includes(messageOf(error))) return 'not-sent';
  if (messageOf(error) === QUERY_TIMEOUT_MESSAGE) return 'timed-out';
  return isNetworkFailure(error) ? 'connection-lost' : 'application';
}

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
  if (NETWORK_ERROR_CODES.has(codeOf(error) ?? '')) return true;
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
