import type { FailureContext } from '../../core/dialect';
import type { FailureKind } from '../../core/retry';
import { codeOf, NETWORK_ERROR_CODES } from '../network-errors';

/**
 * What a MySQL or MariaDB failure says about the statement that got it. Server errors carry a
 * numeric `errno` (mysql2, mariadb connector); client-side failures a string `code` (mysql2's
 * `PROTOCOL_CONNECTION_LOST`, Node's `ECONNRESET`, ...).
 */

/**
 * Rejected because the node does not take writes: certainly not applied (the server refuses the
 * statement before it runs).
 */
const ER_OPTION_PREVENTS_STATEMENT = 1290;
const ER_READ_ONLY_MODE = 1836;
const ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION = 1792;
/** Galera: "WSREP has not yet prepared node for application use" (outside the primary component). */
const ER_UNKNOWN_COM_ERROR = 1047;
/**
 * Galera: a commit on a node cut off from the group while it replicated ("Error while appending
 * streaming replication fragment(provider status: Not connected to Primary Component)", MariaDB
 * 10.11). Its outcome is unknown: the node rolled it back, but the group may have received it and
 * committed it (seen here: 1 of such writes re-run on the new writer met its own row).
 */
const ER_ERROR_DURING_COMMIT = 1180;

/**
 * The server is going away, or the client library says the link died. After the statement was sent
 * its outcome is unknown: a commit waiting for a semi-sync acknowledgement when the session is
 * killed has already been written to the binary log, and MariaDB applies it.
 */
const GONE_ERRNOS = new Set([
  1053, // ER_SERVER_SHUTDOWN
  1927, // ER_CONNECTION_KILLED (MariaDB)
  3169, // ER_SESSION_WAS_KILLED (MySQL)
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+)
  2006, // CR_SERVER_GONE_ERROR (libmysqlclient numbering, also used by proxies)
  2013, // CR_SERVER_LOST
  2055, // CR_SERVER_LOST_EXTENDED
]);

/** The server killed the session the statement ran in (an operator, or a failover manager). */
const KILLED_ERRNOS = new Set([1927, 3169]);

/** mysql2's own codes of a connection that failed or died, besides Node's socket errors. */
const MYSQL2_LOST_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ERR_STREAM_DESTROYED',
]);

/** mysql2's words for "this connection was already closed when the statement was handed to it". */
const CLOSED_BEFORE_SEND = [
  "Can't add new command when connection is in closed state",
  "Can't write in closed state",
  'Pool is closed.',
];

export function classifyMysqlError(error: unknown, context: FailureContext): FailureKind {
  if (isNotWritable(error)) return 'read-only';
  const errno = errnoOf(error);
  const lost = isConnectionFailure(error, errno);
  if (context.phase === 'connect')
    return lost || isClosedBeforeSend(error) ? 'connect-failed' : 'application';
  if (isClosedBeforeSend(error)) return 'not-sent';
  if (!lost) return 'application';
  if (!context.sent) return 'not-sent';
  // The server says it killed the session (KILL CONNECTION): the engine asks whether the node goes.
  if (errno !== undefined && KILLED_ERRNOS.has(errno)) return 'killed';
  // mysql2's per-query `timeout` ran out: the statement may still run on the server.
  return codeOf(error) === 'PROTOCOL_SEQUENCE_TIMEOUT' ? 'timed-out' : 'connection-lost';
}

/** The rejections that mean "this node does not take writes now"; nothing was applied. */
export function isNotWritable(error: unknown): boolean {
  const errno = errnoOf(error);
  const message = messageOf(error);
  switch (errno) {
    case ER_OPTION_PREVENTS_STATEMENT:
      // 1290 is also --skip-grant-tables, --secure-file-priv and others: only the read-only options count.
      return /read[-_ ]only/i.test(message);
    case ER_READ_ONLY_MODE:
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
      return true;
    case ER_UNKNOWN_COM_ERROR:
      // The same number means "unknown command" outside Galera.
      return /wsrep/i.test(message);
    default:
      return false;
  }
}

function isConnectionFailure(error: unknown, errno: number | undefined): boolean {
  if (errno !== undefined && GONE_ERRNOS.has(errno)) return true;
  // Galera's commit cut off from the group: as unknown as a commit whose connection died.
  if (errno === ER_ERROR_DURING_COMMIT) return /not connected to primary component/i.test(messageOf(error));
  const code = codeOf(error) ?? '';
  return NETWORK_ERROR_CODES.has(code) || MYSQL2_LOST_CODES.has(code);
}

function isClosedBeforeSend(error: unknown): boolean {
  return CLOSED_BEFORE_SEND.includes(messageOf(error));
}

/** A server error's number; client-side errors have none (Node's negative `errno` is not one). */
export function errnoOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errno } = error as { errno?: unknown };
  return typeof errno === 'number' && errno > 0 ? errno : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
