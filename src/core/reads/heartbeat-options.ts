import { ConfigError } from '../errors';
import { describe, optionalNumber, rejectUnknownKeys, requireObject } from '../validate';

/**
 * `reads.heartbeat`: MySQL/MariaDB replicas measured to the millisecond (docs/reads.md). One app
 * instance at a time writes the primary's time into a one-row table every `intervalMs`; each
 * replica's probe reads how old the row it holds is.
 */
export interface HeartbeatOptions {
  /** The table, `name` or `database.name` (default `failover_pool_heartbeat`, in the pool's database); created if missing. */
  table?: string;
  /** How often the beat is written (ms; default 100): a replica's measure is at most this much above its true lag. */
  intervalMs?: number;
}

export interface ResolvedHeartbeatOptions {
  readonly table: string;
  readonly intervalMs: number;
}

export const DEFAULT_HEARTBEAT_TABLE = 'failover_pool_heartbeat';

/** A table name the library puts in SQL itself: plain identifiers only, optionally with a database. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,63}(\.[A-Za-z_][A-Za-z0-9_$]{0,63})?$/;

/** Checks `reads.heartbeat` (true, or an object); undefined when off. */
export function resolveHeartbeatOptions(value: unknown): ResolvedHeartbeatOptions | undefined {
  if (value === undefined || value === false) return undefined;
  const o = value === true ? {} : requireObject(value, 'reads.heartbeat');
  rejectUnknownKeys(o, ['table', 'intervalMs'], 'reads.heartbeat');
  const table = o.table ?? DEFAULT_HEARTBEAT_TABLE;
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new ConfigError(
      'reads.heartbeat.table',
      `expected a table name such as "failover_pool_heartbeat" or "ops.heartbeat" (letters, digits, _ and $), got ${describe(table)}.`,
    );
  }
  return {
    table,
    intervalMs: optionalNumber(o.intervalMs, 'reads.heartbeat.intervalMs', 100, { min: 10, max: 60_000 }),
  };
}
