import type { RunSql } from '../../core/dialect';
import type { NodeOperations, ReplicationSource } from '../../core/node-operations';
import { lockKeyOf } from '../lock-key';
import { pollUntil } from '../wait';
import { withSource } from './conninfo';
import { carriedStandbyNames } from './synchronous-names';

/**
 * PostgreSQL's node operations (the contract is in core/node-operations.ts). Least privileges, on
 * PostgreSQL 15+: EXECUTE on pg_promote(boolean, integer) and pg_reload_conf(), ALTER SYSTEM on the
 * parameters primary_conninfo and default_transaction_read_only, and pg_monitor (to read a standby's
 * primary_conninfo and its WAL receiver). docs/postgres.md has the SQL that creates such a role.
 */

/** How long a setting changed with ALTER SYSTEM + reload may take to reach the session. */
const RELOAD_WAIT_MS = 2_000;

/** This node's position: what it wrote (a primary) or replayed (a standby). */
const POSITION = `CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END`;

export const postgresOperations: NodeOperations = {
  async tryLock(run, name) {
    const [row] = await run('SELECT pg_try_advisory_lock($1::bigint) AS locked', [lockKeyOf(name)]);
    return row?.locked === true;
  },

  async unlock(run, name) {
    await run('SELECT pg_advisory_unlock($1::bigint)', [lockKeyOf(name)]);
  },

  async promote(run, { timeoutMs }) {
    const [state] = await run('SELECT pg_is_in_recovery() AS recovery');
    if (state?.recovery === true) {
      const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      const [row] = await run('SELECT pg_promote(true, $1::int) AS promoted', [seconds]);
      if (row?.promoted !== true) throw new Error(`The promotion did not finish within ${seconds} s.`);
    }
    // A node fenced before (a former primary made read-only) must take writes once promoted.
    await setSystem(run, 'default_transaction_read_only', null);
  },

  async repoint(run, source: ReplicationSource) {
    const [row] = await run(
      "SELECT pg_is_in_recovery() AS recovery, current_setting('primary_conninfo') AS conninfo",
    );
    if (row?.recovery !== true) {
      throw new Error(
        'Only a standby can be pointed at another primary; this node is a primary (a former primary must be ' +
          'rewound with pg_rewind and started as a standby first).',
      );
    }
    const current = typeof row.conninfo === 'string' ? row.conninfo : '';
    const wanted = withSource(current, source);
    if (wanted === current) return;
    await run(`ALTER SYSTEM SET primary_conninfo = ${quoteLiteral(wanted)}`);
    // PostgreSQL 13+ restarts the WAL receiver on the new value; no server restart.
    await run('SELECT pg_reload_conf()');
  },

  async fence(run) {
    await setSystem(run, 'default_transaction_read_only', 'on');
  },

  async currentPosition(run) {
    const [row] = await run(`SELECT ${POSITION}::text AS position`);
    if (typeof row?.position !== 'string') throw new Error('The node reported no WAL position.');
    return row.position;
  },

  async receivedPosition(run) {
    const [row] = await run('SELECT pg_last_wal_receive_lsn()::text AS received');
    return typeof row?.received === 'string' ? row.received : undefined;
  },

  waitForPosition(run, position, timeoutMs) {
    return pollUntil(async () => {
      const [row] = await run(`SELECT ${POSITION} >= $1::pg_lsn AS reached`, [position]);
      return row?.reached === true;
    }, timeoutMs);
  },

  async readDurability(run) {
    const [row] = await run("SELECT current_setting('synchronous_standby_names') AS names");
    const names = typeof row?.names === 'string' ? row.names.trim() : '';
    return names === ''
      ? { synchronous: false }
      : { synchronous: true, settings: { synchronous_standby_names: names } };
  },

  async applyDurability(run, durability, replicas) {
    const names = durability.synchronous
      ? carriedStandbyNames(durability.settings.synchronous_standby_names ?? '', replicas)
      : '';
    // Set even when empty: the node's own configuration may name a standby that will never connect.
    await setSystem(run, 'synchronous_standby_names', names);
  },

  confirmsSynchronous(run, timeoutMs) {
    return pollUntil(async () => {
      const [row] = await run(
        "SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')",
      );
      return Number(row?.n ?? 0) > 0;
    }, timeoutMs);
  },
};

/**
 * ALTER SYSTEM (value null: RESET) and a reload, then waits until this session sees the value: a
 * backend re-reads the configuration between statements once the postmaster has passed the reload on.
 */
async function setSystem(run: RunSql, setting: string, value: string | null): Promise<void> {
  const [row] = await run('SELECT current_setting($1) AS value', [setting]);
  const wanted = value ?? 'off';
  if (row?.value === wanted) return;
  await run(
    value === null ? `ALTER SYSTEM RESET ${setting}` : `ALTER SYSTEM SET ${setting} = ${quoteLiteral(value)}`,
  );
  await run('SELECT pg_reload_conf()');
  const applied = await pollUntil(async () => {
    const [now] = await run('SELECT current_setting($1) AS value', [setting]);
    return now?.value === wanted;
  }, RELOAD_WAIT_MS);
  if (!applied)
    throw new Error(`${setting} did not become ${wanted} within ${RELOAD_WAIT_MS} ms of the reload.`);
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
