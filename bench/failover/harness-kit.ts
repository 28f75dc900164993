import type { TestCluster } from '../../src/testing';
import { injectFault, SCENARIOS, type WatchWritable } from './fault-recipes';
import type { BenchCluster, ClusterKit, Engine, FaultName, Replication } from './types';

/** The table every client writes to; created by the app's account. */
export const WRITES_SETUP = ['CREATE TABLE writes (id BIGINT PRIMARY KEY)'];

/** What one engine gives the failover bench: its clusters and how to watch a node become writable. */
export interface EngineBench<C extends TestCluster> {
  readonly engine: Engine;
  unavailable?(): string | undefined;
  /** A fresh three-node cluster with WRITES_SETUP done. */
  start(replication: Replication): Promise<C>;
  /** The server, for the report. */
  version(cluster: C): string;
  watchWritable(cluster: C, node: string): ReturnType<WatchWritable>;
}

class HarnessBenchCluster<C extends TestCluster> implements BenchCluster {
  readonly nodeNames: readonly string[];
  readonly version: string;

  constructor(
    private readonly cluster: C,
    private readonly bench: EngineBench<C>,
  ) {
    this.nodeNames = cluster.nodes.map((n) => n.name);
    this.version = bench.version(cluster);
  }

  get endpoints() {
    const { user, password, database } = this.cluster.connectionOptions;
    const hosts = this.cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
    return { engine: this.bench.engine, hosts, user, password, database };
  }

  inject(fault: FaultName) {
    return injectFault(this.cluster, fault, (node) => this.bench.watchWritable(this.cluster, node));
  }

  /** Committed rows only, read as the app: a commit still waiting for its replica is not counted. */
  private rows<R>(node: string, sql: string, timeoutMs: number): Promise<R[]> {
    const connectTimeoutMs = Math.min(timeoutMs, 5_000);
    return this.cluster.query<R>(node, sql, [], { as: 'app', timeoutMs, connectTimeoutMs });
  }

  async idsOn(node: string): Promise<string[] | undefined> {
    try {
      const rows = await this.rows<{ id: number | string }>(node, 'SELECT id FROM writes', 5_000);
      return rows.map((r) => String(r.id));
    } catch {
      return undefined;
    }
  }

  async countOn(node: string, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    // Integers only, so they can stand in the text: one statement for both placeholder styles.
    const list = ids.map((id) => String(Math.trunc(id))).join(',');
    const [row] = await this.rows<{ n: number | string }>(
      node,
      `SELECT COUNT(*) AS n FROM writes WHERE id IN (${list})`,
      2_000,
    );
    return Number(row?.n ?? 0);
  }

  destroy(): Promise<void> {
    return this.cluster.destroy();
  }
}

/** The cluster kit of an engine: the same faults, recipes and read-backs on every engine. */
export function harnessKit<C extends TestCluster>(bench: EngineBench<C>): ClusterKit {
  return {
    engine: bench.engine,
    scenarios: SCENARIOS,
    unavailable: bench.unavailable,
    async start(replication) {
      return new HarnessBenchCluster(await bench.start(replication), bench);
    },
  };
}
