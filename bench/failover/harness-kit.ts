import type { TestCluster } from '../../src/testing';
import { INSTANCE_WRITES_SETUP } from '../promotion/protocol';
import { injectFault, SCENARIOS, type WatchWritable } from './fault-recipes';
import { injectLibraryFault } from './library-recipe';
import { readBack } from './read-back';
import type { BenchCluster, ClusterKit, Endpoints, Engine, Scenario } from './types';

/** The table every client writes to; created by the app's account. */
export const WRITES_SETUP = ['CREATE TABLE writes (id BIGINT PRIMARY KEY)'];

/** What one engine gives the failover bench: its clusters and how to watch a node become writable. */
export interface EngineBench<C extends TestCluster> {
  readonly engine: Engine;
  unavailable?(): string | undefined;
  /** A fresh three-node cluster for `scenario` (its replication, its receive timeouts) with `setup` done. */
  start(scenario: Scenario, setup: readonly string[]): Promise<C>;
  /** The server, for the report. */
  version(cluster: C): string;
  watchWritable(cluster: C, node: string): ReturnType<WatchWritable>;
  /** Whether commits on `node` (a new primary) wait for a replica, in words. */
  synchronousState(cluster: C, node: string): Promise<string>;
}

class HarnessBenchCluster<C extends TestCluster> implements BenchCluster {
  readonly nodeNames: readonly string[];
  readonly version: string;

  constructor(
    private readonly cluster: C,
    private readonly bench: EngineBench<C>,
    private readonly promotion?: Endpoints['promotion'],
  ) {
    this.nodeNames = cluster.nodes.map((n) => n.name);
    this.version = bench.version(cluster);
  }

  get endpoints(): Endpoints {
    const { user, password, database } = this.cluster.connectionOptions;
    const hosts = this.cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
    const promotion = this.promotion ? { promotion: this.promotion } : {};
    return { engine: this.bench.engine, hosts, user, password, database, ...promotion };
  }

  inject(scenario: Scenario) {
    const watch = (node: string) => this.bench.watchWritable(this.cluster, node);
    if (scenario.promoter === 'harness') return injectFault(this.cluster, scenario.fault, watch);
    return injectLibraryFault(this.cluster, scenario, watch, (node) =>
      this.bench.synchronousState(this.cluster, node),
    );
  }

  /** Committed rows only, read as the app: a commit still waiting for its replica is not counted. */
  private readonly reads = readBack((node, sql, limits) =>
    this.cluster.query(node, sql, [], { as: 'app', ...limits }),
  );
  readonly idsOn = this.reads.idsOn;
  readonly countOn = this.reads.countOn;

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
    async start(scenario) {
      if (scenario.promoter === 'harness') {
        return new HarnessBenchCluster(await bench.start(scenario, WRITES_SETUP), bench);
      }
      // The other app instances write to a table of their own; the promoter's account is the harness's.
      const cluster = await bench.start(scenario, [...WRITES_SETUP, INSTANCE_WRITES_SETUP]);
      try {
        const account = await cluster.createPromotionAccount();
        // Its password is not enumerable: copied by name, so it survives the trip to a child process.
        return new HarnessBenchCluster(cluster, bench, { user: account.user, password: account.password });
      } catch (error) {
        await cluster.destroy();
        throw error;
      }
    },
  };
}
