import type { MariadbCluster } from '../../../src/testing';
import { sleep } from '../../lib/time';
import type { FaultName, FaultTimes } from '../types';
import { mostAdvancedReplica } from './most-advanced';
import { watchWritable } from './writable-watch';

/** The recipes of issue 6, as on PostgreSQL (node1 primary; node2 and node3 GTID replicas). */
const KILL_PROMOTE_AFTER_MS = 500;
const STOP_PROMOTE_AFTER_MS = 2_000;
const REPLICATE_TIMEOUT_MS = 20_000;

/**
 * Injects `fault` and runs the harness's side of it, as Orchestrator or MaxScale would:
 * - switchover: planned (node1 read-only, node2 catches up with everything node1 wrote and is
 *   promoted, node1 and node3 replicate from it);
 * - kill9: node1's mariadbd SIGKILLed; 500 ms later the replica holding the most (by GTID) is
 *   promoted and the other repointed to it;
 * - sigstop: node1 SIGSTOPped (a hang); the same promotion 2 s later; then node1 SIGCONTinued: it
 *   comes back writable, still taking writes from whoever reaches it.
 */
export async function injectMariadbFault(cluster: MariadbCluster, fault: FaultName): Promise<FaultTimes> {
  const faultAt = performance.now();
  if (fault === 'switchover') {
    const watch = await watchWritable(cluster, 'node2');
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
  const target = await mostAdvancedReplica(cluster, ['node2', 'node3']);
  const other = target === 'node2' ? 'node3' : 'node2';
  const watch = await watchWritable(cluster, target);
  let promotedAt: number | undefined;
  try {
    await cluster.promote(target);
    promotedAt = performance.now();
    await cluster.repoint(other, target);
    await cluster.waitForReplicating(other, REPLICATE_TIMEOUT_MS, target);
    if (fault === 'sigstop') cluster.kill('node1', 'SIGCONT');
  } finally {
    await watch.stop();
  }
  const doneAt = performance.now();
  return { faultAt, writableAt: watch.writableAt ?? promotedAt, doneAt, newPrimary: target };
}
