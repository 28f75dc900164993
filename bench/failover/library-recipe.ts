import type { TestCluster } from '../../src/testing';
import { sleep } from '../lib/time';
import type { WatchWritable } from './fault-recipes';
import type { FaultTimes, Scenario } from './types';
import type { WritableWatch } from './writable-poll';

/** Server defaults wait a minute for the replicas' receive timeout; past this, nobody promoted. */
const PROMOTION_BOUND_MS = 150_000;
const REPLICATE_TIMEOUT_MS = 20_000;
const LOOK_EVERY_MS = 5;

/**
 * The fault with nobody but the app's pools to repair it (promotion by the library): every process
 * of node1 SIGKILLed, or SIGSTOPped for the rest of the trial (a hang that lasts; the cluster is
 * destroyed stopped). Both replicas are watched from before the fault; the first to accept writes is
 * the new primary. Then the other replica should stream from it (the promoter repoints it); if it
 * does not within 20 s, or the new primary does not wait for a replica in synchronous mode, the
 * trial says so in its notes rather than failing: the outage was still measured.
 */
export async function injectLibraryFault(
  cluster: TestCluster,
  scenario: Scenario,
  watchWritable: WatchWritable,
  synchronousState: (node: string) => Promise<string>,
): Promise<FaultTimes> {
  if (scenario.fault === 'switchover')
    throw new Error('the library promotes after a failure, never a switchover');
  const replicas = cluster.nodes.map((node) => node.name).filter((name) => name !== 'node1');
  const watches = await Promise.all(replicas.map(watchWritable));
  const faultAt = performance.now();
  let first: { node: string; writableAt: number } | undefined;
  try {
    cluster.kill('node1', scenario.fault === 'kill9' ? 'SIGKILL' : 'SIGSTOP');
    first = await firstWritable(replicas, watches, faultAt + PROMOTION_BOUND_MS);
  } finally {
    await Promise.all(watches.map((watch) => watch.stop()));
  }
  if (!first) {
    throw new Error(`no replica became writable within ${PROMOTION_BOUND_MS / 1000} s of the fault`);
  }
  const notes: string[] = [];
  for (const other of replicas.filter((name) => name !== first.node)) {
    await cluster.waitForReplication(other, REPLICATE_TIMEOUT_MS, first.node).catch((error: unknown) => {
      notes.push(`${other} not streaming from ${first.node}: ${(error as Error).message.slice(0, 120)}`);
    });
  }
  if (scenario.replication === 'sync') {
    notes.push(await synchronousState(first.node).catch((error: unknown) => (error as Error).message));
  }
  return { faultAt, writableAt: first.writableAt, doneAt: performance.now(), newPrimary: first.node, notes };
}

async function firstWritable(
  nodes: readonly string[],
  watches: readonly WritableWatch[],
  until: number,
): Promise<{ node: string; writableAt: number } | undefined> {
  while (performance.now() < until) {
    // The earliest, should two have become writable by the time of this look (two promotions).
    const seen = watches
      .map((watch, i) => ({ node: nodes[i] as string, writableAt: watch.writableAt }))
      .filter((w): w is { node: string; writableAt: number } => w.writableAt !== undefined)
      .sort((a, b) => a.writableAt - b.writableAt);
    if (seen[0]) return seen[0];
    await sleep(LOOK_EVERY_MS);
  }
  return undefined;
}
