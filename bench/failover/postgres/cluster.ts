import type { PgCluster } from '../../../src/testing';
import { appQuery, withPgClusterHandle } from '../../lib/pg-cluster';
import type { BenchCluster, ClusterKit, FaultName, Replication, Scenario } from '../types';
import { injectPgFault } from './faults';

/**
 * Which replication modes each fault runs in. A planned switchover shuts the old primary down cleanly:
 * its WAL senders ship every record to the connected standbys before it exits, so synchronous
 * replication changes nothing there and it runs asynchronous only. A crash or a hang can lose
 * acknowledged writes only without synchronous replication, so those run in both modes.
 */
export const PG_SCENARIOS: readonly Scenario[] = [
  { fault: 'switchover', replication: 'async' },
  { fault: 'kill9', replication: 'async' },
  { fault: 'kill9', replication: 'sync' },
  { fault: 'sigstop', replication: 'async' },
  { fault: 'sigstop', replication: 'sync' },
];

const SETUP = ['CREATE TABLE writes (id bigint PRIMARY KEY)'];

class PgBenchCluster implements BenchCluster {
  readonly nodeNames: readonly string[];
  constructor(
    private readonly cluster: PgCluster,
    private readonly release: () => Promise<void>,
  ) {
    this.nodeNames = cluster.nodes.map((n) => n.name);
  }

  get endpoints() {
    const { user, password, database } = this.cluster.connectionOptions;
    const hosts = this.cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
    return { engine: 'postgres' as const, hosts, user, password, database };
  }

  get version(): string {
    return `PostgreSQL ${this.cluster.serverVersion} (${this.cluster.source})`;
  }

  inject(fault: FaultName) {
    return injectPgFault(this.cluster, fault);
  }

  async idsOn(node: string): Promise<string[] | undefined> {
    try {
      const rows = await appQuery<{ id: string }>(this.cluster, node, 'SELECT id FROM writes', [], 5_000);
      return rows.map((r) => String(r.id));
    } catch {
      return undefined;
    }
  }

  async countOn(node: string, ids: readonly number[]): Promise<number> {
    const rows = await appQuery<{ n: number }>(
      this.cluster,
      node,
      'SELECT count(*)::int AS n FROM writes WHERE id = ANY($1::bigint[])',
      [ids],
      2_000,
    );
    return rows[0]?.n ?? 0;
  }

  destroy(): Promise<void> {
    return this.release();
  }
}

export const pgClusterKit: ClusterKit = {
  engine: 'postgres',
  scenarios: PG_SCENARIOS,
  async start(replication: Replication) {
    const { cluster, destroy } = await withPgClusterHandle({ synchronous: replication === 'sync' }, SETUP);
    return new PgBenchCluster(cluster, destroy);
  },
};
