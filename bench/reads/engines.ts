import { builtMysql2, builtPg } from '../lib/built-package';
import { mariadbUnavailable, withMariadbCluster } from '../lib/mariadb-cluster';
import { withPgCluster } from '../lib/pg-cluster';
import { MYSQL_SETUP, type OverheadEngine, PG_SETUP } from '../overhead/workloads';
import { type Query, type ReadsSubject, type ReplicaDelay, type Rows, readsSubject } from './subject';

const { createPgPool } = await builtPg();
const { createMysqlPromisePool } = await builtMysql2();

/** pg.Pool's default `max` and mysql2's default `connectionLimit`, as in the other benches (per node). */
export const POOL_SIZE = 10;

/**
 * The pools' `reads`: a staleness bound the delayed replicas stay within (MariaDB measures whole
 * seconds, and a replica 1 s late reads 1 or 2 there), so that their reads are not all sent to the
 * primary; `causalWaitMs` is left at its default (1000 ms), what an app gets.
 */
export const READS_OPTIONS = { maxLagMs: 5_000 } as const;

/**
 * Each engine's 3-node cluster (asynchronous replication) with one pool over all three nodes; the
 * pool is ended and the cluster destroyed whatever happens.
 */
export interface ReadsEngineKit {
  readonly engine: OverheadEngine;
  /** Why this engine's servers cannot run on this machine, or undefined when they can. */
  unavailable?(): string | undefined;
  withSubject<T>(use: (subject: ReadsSubject) => Promise<T>): Promise<T>;
}

/** Hands `use` the subject, and ends its pools whatever happens. */
async function using<T>(
  pools: readonly { end(): Promise<void> }[],
  subject: ReadsSubject,
  use: (subject: ReadsSubject) => Promise<T>,
): Promise<T> {
  try {
    return await use(subject);
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

/** Standbys replay each commit 100 ms after the primary made it. */
const PG_DELAY: ReplicaDelay = {
  statements: ["ALTER SYSTEM SET recovery_min_apply_delay = '100ms'", 'SELECT pg_reload_conf()'],
  label: 'replay 100 ms late',
};

/** Replicas apply each event 1 s (whole seconds only) after the primary's timestamp of it. */
const MARIADB_DELAY: ReplicaDelay = {
  statements: ['STOP SLAVE', 'CHANGE MASTER TO MASTER_DELAY = 1', 'START SLAVE'],
  label: 'apply 1 s late',
};

export const READS_ENGINES: readonly ReadsEngineKit[] = [
  {
    engine: 'postgres',
    withSubject: (use) =>
      withPgCluster({ replicas: 2 }, PG_SETUP, (cluster) => {
        const { user, password, database, hosts } = cluster.connectionOptions;
        const server = `PostgreSQL ${cluster.serverVersion} (${cluster.source}), primary + 2 streaming replicas, async`;
        const options = { hosts, user, password, database, max: POOL_SIZE, reads: READS_OPTIONS };
        const pool = createPgPool(options);
        const query: Query = async (text, values, flags) =>
          (await pool.query({ text, values, ...flags })).rows;
        const measures = [{ label: 'replay timestamps', health: () => pool.health() }];
        return using([pool], readsSubject('postgres', server, cluster, pool, query, PG_DELAY, measures), use);
      }),
  },
  {
    engine: 'mysql',
    unavailable: mariadbUnavailable,
    withSubject: (use) =>
      withMariadbCluster({ replicas: 2 }, MYSQL_SETUP, (cluster) => {
        const { user, password, database, hosts } = cluster.connectionOptions;
        const server = `${cluster.serverVersion}, primary + 2 GTID replicas, asynchronous`;
        const options = { hosts, user, password, database, connectionLimit: POOL_SIZE, reads: READS_OPTIONS };
        const pool = createMysqlPromisePool(options);
        const query: Query = async (sql, values, flags) =>
          (await pool.query({ sql, values, ...flags }))[0] as Rows;
        // A second pool, with the heartbeat, only to compare its measure with Seconds_Behind_Master.
        const beating = createMysqlPromisePool({
          ...options,
          connectionLimit: 1,
          reads: { heartbeat: true },
        });
        const measures = [
          { label: 'Seconds_Behind_Master', health: () => pool.health() },
          { label: 'heartbeat every 100 ms', health: () => beating.health() },
        ];
        const subject = readsSubject('mysql', server, cluster, pool, query, MARIADB_DELAY, measures);
        return using([pool, beating], subject, use);
      }),
  },
];
