import type { TestCluster } from '../../src/testing';
import { sleep } from '../lib/time';
import type { FaultName, FaultTimes, Scenario } from './types';
import type { WritableWatch } from './writable-poll';

/** The recipes of issue 6, on a three-node cluster (node1 primary; node2 and node3 replicas). */
const KILL_PROMOTE_AFTER_MS = 500;
const STOP_PROMOTE_AFTER_MS = 2_000;
const REPLICATE_TIMEOUT_MS = 20_000;

const byHarness = { promoter: 'harness', timeouts: 'harness' } as const;
const byLibrary = { promoter: 'library' } as const;

/**
 * Which replication modes each fault runs in, on every engine ('sync' is PostgreSQL synchronous
 * replication, MariaDB lossless semi-sync). A planned switchover loses nothing in either mode: the
 * old PostgreSQL primary ships every record to the connected standbys as it shuts down, and the new
 * MariaDB primary applies everything the old one wrote before it is promoted. So it runs
 * asynchronous only. A crash or a hang can lose acknowledged writes only without synchronous
 * replication, so those run in both modes.
 *
 * Promotion by the library (library-recipe.ts) after kill -9 in both modes, and after a lasting hang
 * in synchronous mode, with the recommended receive timeouts and with the servers' defaults (a trial
 * then waits about a minute for the replicas to give up the primary: 3 trials at most). Kill -9 runs
 * on the harness's settings, as the rows it stands beside: the replicas see the crash at once.
 */
export const SCENARIOS: readonly Scenario[] = [
  { fault: 'switchover', replication: 'async', ...byHarness },
  { fault: 'kill9', replication: 'async', ...byHarness },
  { fault: 'kill9', replication: 'sync', ...byHarness },
  { fault: 'sigstop', replication: 'async', ...byHarness },
  { fault: 'sigstop', replication: 'sync', ...byHarness },
  { fault: 'kill9', replication: 'async', ...byLibrary, timeouts: 'harness' },
  { fault: 'kill9', replication: 'sync', ...byLibrary, timeouts: 'harness' },
  { fault: 'sigstop', replication: 'sync', ...byLibrary, timeouts: 'recommended' },
  { fault: 'sigstop', replication: 'sync', ...byLibrary, timeouts: 'server-defaults', maxTrials: 3 },
];

/** Notes when a node starts taking writes, from its own connection (see writable-poll.ts). */
export type WatchWritable = (node: string) => Promise<WritableWatch>;

/**
 * Injects `fault` and runs the harness's side of it, as an HA manager (Patroni, Orchestrator,
 * MaxScale) would:
 * - switchover: planned (node2 promoted without losing a write, node1 back as its replica);
 * - kill9: every process of node1 SIGKILLed; 500 ms later the replica that received the most is
 *   promoted and the other repointed to it;
 * - sigstop: every process of node1 SIGSTOPped (a hang); the same promotion 2 s later; then node1
 *   SIGCONTinued: it comes back still believing it is the primary, and writable.
 */
export async function injectFault(
  cluster: TestCluster,
  fault: FaultName,
  watchWritable: WatchWritable,
): Promise<FaultTimes> {
  const faultAt = performance.now();
  if (fault === 'switchover') {
    const watch = await watchWritable('node2');
    try {
      await cluster.switchover('node2');
    } finally {
      await watch.stop();
    }
    const doneAt = performance.now();
    return { faultAt, writableAt: watch.writableAt ?? doneAt, doneAt, newPrimary: 'node2' };
  }
  cluster.kill('node1', fault === 'kill9' ? 'SIGKILL' : 'SIGSTOP');
  await sleep(fault === 'kill9' ? KILL_PROMOTE_AFTER_MS : STOP_PROMOTE_AFTER_MS);
  // The replica that received the most: it holds every acknowledged write, and the other can follow it.
  const target = await cluster.mostAdvanced(['node2', 'node3']);
  const other = target === 'node2' ? 'node3' : 'node2';
  const watch = await watchWritable(target);
  let promotedAt: number | undefined;
  try {
    await cluster.promote(target);
    promotedAt = performance.now();
    await cluster.repoint(other, target);
    await cluster.waitForReplication(other, REPLICATE_TIMEOUT_MS, target);
    if (fault === 'sigstop') cluster.kill('node1', 'SIGCONT');
  } finally {
    await watch.stop();
  }
  const doneAt = performance.now();
  return { faultAt, writableAt: watch.writableAt ?? promotedAt, doneAt, newPrimary: target };
}
