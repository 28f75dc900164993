import type { GaleraCluster } from '../../src/testing';
import type { FaultTimes, Scenario } from '../failover/types';
import { sleep } from '../lib/time';

/**
 * The faults of issue 15 on a three-node Galera cluster under steady writes. node1 is the writer of
 * every client measured: failover-pool's rule picks the node that started first (node1 started the
 * cluster), and the PoolClusters' ORDER selector the first listed (node1).
 */
export type GaleraFault =
  | 'kill9-writer'
  | 'isolate-writer'
  | 'isolate-other'
  | 'quorum-loss'
  | 'rolling-restart';

export const GALERA_FAULTS: readonly GaleraFault[] = [
  'kill9-writer',
  'isolate-writer',
  'isolate-other',
  'quorum-loss',
  'rolling-restart',
];

/** Galera certifies every commit on every member: 'sync' as the failover bench counts modes. */
export const GALERA_SCENARIOS: readonly Scenario<GaleraFault>[] = GALERA_FAULTS.map((fault) => ({
  fault,
  replication: 'sync',
  promoter: 'harness',
  timeouts: 'harness',
}));

/** For tables; how long nodes stay out is FaultPacing's, printed with the table. */
export const GALERA_FAULT_NAMES: Record<GaleraFault, string> = {
  'kill9-writer': 'kill -9 of the writer, restarted',
  'isolate-writer': 'writer cut off (gmcast.isolate)',
  'isolate-other': 'another node cut off',
  'quorum-loss': 'writer + 1 cut off, 3rd bootstrapped',
  'rolling-restart': 'rolling restart (node1, 2, 3)',
};

export interface FaultPacing {
  /**
   * How long a node stays killed or cut off. 5 s: systemd restarts a crashed mariadbd after 5 s
   * (Debian's mariadb.service: Restart=on-abnormal, RestartSec=5s); the cut-offs last as long.
   */
  readonly outForMs: number;
}

const ALL = ['node1', 'node2', 'node3'] as const;

/** How long the harness waits for the nodes to be Synced in one component again. */
const SYNCED_TIMEOUT_MS = 60_000;

/**
 * Injects `fault` and plays the operator until every node is Synced in one component again. The
 * measured window is all of it: `writableAt` is when the cluster is whole again (not when a new
 * writer could first take writes), so a client's outage is its longest gap between acknowledged
 * writes over the whole sequence, including a writer that moves back when its node returns.
 * `newPrimary` is a node that stayed in the Primary component (or was bootstrapped), whose rows
 * the bench counts; every node holds the same rows once Synced.
 */
export async function injectGaleraFault(
  cluster: GaleraCluster,
  fault: GaleraFault,
  pacing: FaultPacing,
): Promise<FaultTimes> {
  const faultAt = performance.now();
  const newPrimary = await RECIPES[fault](cluster, faultAt + pacing.outForMs);
  await cluster.waitForSynced('all', SYNCED_TIMEOUT_MS);
  const doneAt = performance.now();
  return { faultAt, writableAt: doneAt, doneAt, newPrimary, outage: 'longest-gap' };
}

/** Each recipe runs the fault and its repair, and names the node whose rows count. */
type Recipe = (cluster: GaleraCluster, backAt: number) => Promise<string>;

const untilTime = (at: number) => sleep(Math.max(0, at - performance.now()));

const RECIPES: Record<GaleraFault, Recipe> = {
  /** A crash of node1's machine; restarted as systemd would. It keeps its Galera UUID (pc.recovery). */
  async 'kill9-writer'(cluster, backAt) {
    await cluster.stop('node1', 'immediate');
    await untilTime(backAt);
    await cluster.start('node1');
    return 'node2';
  },
  async 'isolate-writer'(cluster, backAt) {
    await cluster.isolate('node1', true);
    await untilTime(backAt);
    await cluster.isolate('node1', false);
    return 'node2';
  },
  async 'isolate-other'(cluster, backAt) {
    await cluster.isolate('node3', true);
    await untilTime(backAt);
    await cluster.isolate('node3', false);
    return 'node1';
  },
  /**
   * A split into three parts: no component has a majority, every node refuses queries (1047). The
   * operator bootstraps node3 (not the writer: every client has to move) as soon as node3 reports
   * itself outside a Primary component, and lets the two others back in at `backAt`.
   */
  async 'quorum-loss'(cluster, backAt) {
    await cluster.isolate('node1', true);
    await cluster.isolate('node2', true);
    await waitForNonPrimary(cluster, 'node3');
    await cluster.bootstrap('node3');
    await untilTime(backAt);
    await cluster.isolate('node1', false);
    await cluster.isolate('node2', false);
    return 'node3';
  },
  /** One node at a time: a clean shutdown, a start, and Synced in the full component before the next. */
  async 'rolling-restart'(cluster) {
    for (const node of ALL) {
      await cluster.stop(node, 'fast');
      await cluster.start(node);
      await cluster.waitForSynced('all', SYNCED_TIMEOUT_MS);
    }
    return 'node3';
  },
};

/** A node takes about 1.5 s here to notice that it lost its majority; bootstrap is refused before. */
async function waitForNonPrimary(cluster: GaleraCluster, node: string): Promise<void> {
  const until = performance.now() + 20_000;
  while ((await cluster.status(node)).clusterStatus === 'Primary') {
    if (performance.now() > until)
      throw new Error(`${node} still in a Primary component 20 s after the split`);
    await sleep(50);
  }
}
