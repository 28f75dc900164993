import type { HeartbeatSql } from '../../core/dialect';

/**
 * The replica-lag heartbeat on MySQL/MariaDB (reads.heartbeat; pt-heartbeat and MaxScale's monitor
 * do the same). `Seconds_Behind_Source` counts whole seconds, from binary-log event times that are
 * whole seconds too, and MariaDB 10.11 has no applier timestamps, so nothing the server reports
 * tells 50 ms from 900 ms. The primary's UTC time to the microsecond, written into one row every
 * interval, reaches each replica as it applies it: there, the row's age is how far behind it is (to
 * within the interval). Statement-based replication carries the primary's time with the statement
 * (MariaDB's high-resolution timestamp of the query event), row-based the value itself, so the
 * replica stores what the primary wrote. UTC on both sides: the servers' time zones may differ. The
 * clocks of primary and replicas must agree (NTP), as for PostgreSQL's replay timestamps.
 */
export const mysqlHeartbeat: HeartbeatSql = {
  create: (table) =>
    `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, beat DATETIME(6) NOT NULL)`,
  beat: (table) => `REPLACE INTO ${quoteTable(table)} (id, beat) VALUES (1, UTC_TIMESTAMP(6))`,
};

/** The prober's statement: how old the beat this node holds is, in microseconds (no row: none). */
export function heartbeatAgeSql(table: string): string {
  return `SELECT TIMESTAMPDIFF(MICROSECOND, beat, UTC_TIMESTAMP(6)) AS heartbeat_age_us FROM ${quoteTable(table)} WHERE id = 1`;
}

/** `db.table` or `table`, each part in backquotes (options.ts allows plain identifiers only). */
function quoteTable(table: string): string {
  return table
    .split('.')
    .map((part) => `\`${part}\``)
    .join('.');
}
