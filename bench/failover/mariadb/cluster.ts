import type { MariadbCluster } from '../../../src/testing';
import { adminQuery, mariadbUnavailable, withMariadbClusterHandle } from '../../lib/mariadb-cluster';
import type { BenchCluster, ClusterKit, FaultName, Replication, Scenario } from '../types';
import { injectMariadbFault } from './faults';

/**
 * Which replication modes each fault runs in; 'sync' is lossless semi-sync here (AFTER_SYNC, the
 * first replica acknowledging, no fallback to asynchronous). The planned switchover waits until the
 * new primary applied everything the old one wrote, so the mode changes nothing there: asynchronous
 * only, as on PostgreSQL. A crash or a hang can lose acknowledged writes only without semi-sync, so
 * those run in both modes.
 */
export const MARIADB_SCENARIOS: readonly Scenario[] = [
  { fault: 'switchover', replication: 'async' },
  { fault: 'kill9', replication: 'async' },
  { fault: 'kill9', replication: 'sync' },
  { fault: 'sigstop', replication: 'async' },
  { fault: 'sigstop', replication: 'sync' },
];

const SETUP = ['CREATE TABLE writes (id BIGINT PRIMARY KEY)'];

class MariadbBenchCluster implements BenchCluster {
  readonly nodeNames: readonly string[];
  constructor(
    private readonly cluster: MariadbCluster,
    private readonly release: () => Promise<void>,
  ) {
    this.nodeNames = cluster.nodes.map((n) => n.name);
  }

  get endpoints() {
    const { user, password, database } = this.cluster.connectionOptions;
    const hosts = this.cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
    return { engine: 'mysql' as const, hosts, user, password, database };
  }

  get version(): string {
    return `${this.cluster.serverVersion} (${this.cluster.binaries.server})`;
  }

  inject(fault: FaultName) {
    return injectMariadbFault(this.cluster, fault);
  }

  /**
   * Committed rows only, as on PostgreSQL: a commit still waiting for its semi-sync acknowledgement
   * (a stale primary with no replica left) is not counted on that node.
   */
  async idsOn(node: string): Promise<string[] | undefined> {
    try {
      const rows = await adminQuery<{ id: number | string }>(
        this.cluster,
        node,
        'SELECT id FROM writes',
        5_000,
      );
      return rows.map((r) => String(r.id));
    } catch {
      return undefined;
    }
  }

  async countOn(node: string, ids: readonly number[]): Promise<number> {
    const marks = ids.map(() => '?').join(',');
    const rows = await adminQuery<{ n: number | string }>(
      this.cluster,
      node,
      `SELECT COUNT(*) AS n FROM writes WHERE id IN (${marks})`,
      2_000,
      [...ids],
    );
    return Number(rows[0]?.n ?? 0);
  }

  destroy(): Promise<void> {
    return this.release();
  }
}

export const mariadbClusterKit: ClusterKit = {
  engine: 'mysql',
  scenarios: MARIADB_SCENARIOS,
  unavailable: mariadbUnavailable,
  async start(replication: Replication) {
    const { cluster, destroy } = await withMariadbClusterHandle({ semiSync: replication === 'sync' }, SETUP);
    return new MariadbBenchCluster(cluster, destroy);
  },
};
