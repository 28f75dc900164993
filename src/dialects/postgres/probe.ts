import type { NodeProber, Row, RunSql } from '../../core/dialect';
import type { NodeProbe } from '../../core/node';
import { withoutUndefined } from '../../core/objects';
import { unreadableAnswer } from '../../core/probe-answer';
import { sqlState } from './errors';
import { bytesToLsn, lsnToBytes, timelineOf } from './lsn';

/**
 * How the monitor asks a PostgreSQL node what it is. Role from `pg_is_in_recovery()` and
 * `transaction_read_only`; the generation is the timeline; the identity is `system_identifier`.
 */

/**
 * A standby's staleness in ms: 0 once it has replayed all it received, else the age of the last
 * transaction it replayed (its commit time on the primary, against this server's clock). That age
 * is an upper bound: a primary idle before its latest burst makes it look older than it is, which
 * errs on the safe side for a staleness bound. Clocks of different machines must agree (NTP).
 */
const REPLAY_LAG_MS = `CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() THEN 0
    ELSE (EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8
  END`;

const BASE_COLUMNS = `
  pg_is_in_recovery() AS in_recovery,
  current_setting('transaction_read_only') AS read_only,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS wal_file,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current_lsn,
  pg_last_wal_receive_lsn()::text AS receive_lsn,
  pg_last_wal_replay_lsn()::text AS replay_lsn,
  ${REPLAY_LAG_MS} AS replay_lag_ms,
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

/**
 * Best first, each one round trip with one row. A later one is used when an earlier one fails for
 * lack of privilege or on an older server version.
 */
export const PROBE_STATEMENTS = [
  `SELECT ${BASE_COLUMNS}, ${RECEIVER_COLUMNS}, ${IDENTITY_COLUMN}`,
  `SELECT ${BASE_COLUMNS}, ${RECEIVER_COLUMNS}`,
  `SELECT ${BASE_COLUMNS}`,
];

const INSUFFICIENT_PRIVILEGE = '42501';
const UNDEFINED_FUNCTION = '42883';
const UNDEFINED_TABLE = '42P01';

/** A prober for one connection: it remembers the first probe statement that works there. */
export function createPostgresProber(): NodeProber {
  let index = 0;
  return async (run: RunSql) => {
    for (;;) {
      try {
        const [row] = await run(PROBE_STATEMENTS[index] as string);
        if (!row) throw new Error('the probe returned no row');
        return parseProbe(row);
      } catch (error) {
        if (!isProbeUnsupported(error) || index + 1 >= PROBE_STATEMENTS.length) throw error;
        index++;
      }
    }
  };
}

/** Whether `error` means "this probe statement is not available here, try the next one". */
export function isProbeUnsupported(error: unknown): boolean {
  const code = sqlState(error);
  return code === INSUFFICIENT_PRIVILEGE || code === UNDEFINED_FUNCTION || code === UNDEFINED_TABLE;
}

export function parseProbe(row: Row): NodeProbe {
  if (typeof row.in_recovery !== 'boolean')
    throw unreadableAnswer('in_recovery', 'a boolean', row.in_recovery);
  if (row.read_only !== 'on' && row.read_only !== 'off') {
    throw unreadableAnswer('read_only', "'on' or 'off'", row.read_only);
  }
  const inRecovery = row.in_recovery;
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
      // Static after a promotion (until a restart): where its history left the old primary's.
      lineage: optionalString(row.replay_lsn),
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
  const lagMs =
    typeof row.replay_lag_ms === 'number' ? Math.max(0, Math.round(row.replay_lag_ms)) : undefined;
  return withoutUndefined({
    role: 'replica',
    writable: false,
    position: furthest === undefined ? undefined : bytesToLsn(furthest),
    positionBytes: furthest,
    lagMs,
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
}

function maxBigint(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
