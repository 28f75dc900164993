import { sessionIdList } from '../session-ids';

/**
 * Whether a new PostgreSQL session can write. A primary with `default_transaction_read_only = on` (a
 * fenced one) is not writable, as libpq's `target_session_attrs=read-write` sees it.
 */

/**
 * From the ParameterStatus values the server reports at login and on change (PostgreSQL 14+:
 * `in_hot_standby`, `default_transaction_read_only`). Undefined when the server does not report
 * them (older versions): the session must be asked with SESSION_WRITABLE_SQL.
 */
export function sessionWritableFromParameters(parameters: ReadonlyMap<string, string>): boolean | undefined {
  const hotStandby = parameters.get('in_hot_standby');
  if (hotStandby === undefined) return undefined;
  return hotStandby === 'off' && parameters.get('default_transaction_read_only') !== 'on';
}

/** For servers before 14, which do not report `in_hot_standby`. */
export const SESSION_WRITABLE_SQL =
  "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off' AS writable";

/**
 * Which of the backends `ids` run a statement now. A role sees the state of its own backends in
 * pg_stat_activity without pg_read_all_stats. `idle` and `idle in transaction` are backends waiting
 * for their client; a statement waiting for a lock or a synchronous standby is still `active`.
 */
export function runningSessionsSql(ids: readonly number[]): string {
  return (
    'SELECT pid AS id FROM pg_stat_activity ' +
    `WHERE pid IN (${sessionIdList(ids)}) AND state IN ('active', 'fastpath function call')`
  );
}
