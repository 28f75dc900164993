import { sessionIdList } from '../session-ids';

/** Asked of every new connection before the app uses it: one round trip, any privilege. */
export const SESSION_WRITABLE_SQL = 'SELECT @@global.read_only AS read_only';

/**
 * Which of the sessions `ids` run a statement now. An account sees its own threads in PROCESSLIST
 * without the PROCESS privilege. `Sleep` is a thread waiting for its client's next command; a
 * statement waiting for a lock or a semi-sync acknowledgement is still `Query` (or `Execute`).
 */
export function runningSessionsSql(ids: readonly number[]): string {
  return (
    'SELECT ID AS id FROM information_schema.PROCESSLIST ' +
    `WHERE ID IN (${sessionIdList(ids)}) AND COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump')`
  );
}
