import type { PgCluster } from '../../../src/testing';
import { sleep } from '../../lib/time';
import type { FaultName, FaultTimes } from '../types';
import { watchWritable } from './writable-watch';

/** The recipes of issue 6, on a three-node cluster (node1 primary; node2 and node3 standbys). */
const KILL_PROMOTE_AFTER_MS = 500;
const STOP_PROMOTE_AFTER_MS = 2_000;
const STREAM_TIMEOUT_MS = 20_000;

/**
 * Injects `fault` and runs the harness's side of it, as an HA manager would:
 * - switchover: clean planned switch (old primary shut down, node2 promoted, node1 back as a standby);
 * - kill9: every process of node1 SIGKILLed; 500 ms later the standby that received the most is
 *   promoted and the other repointed to it;
 * - sigstop: every process of node1 SIGSTOPped (a hang); the same promotion 2 s later; then node1
 *   SIGCONTinued: it comes back still believing it is the primary.
 */
export async function injectPgFault(cluster: PgCluster, fault: FaultName): Promise<FaultTimes> {
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
  // The standby that received the most, as Patroni picks it: the other can always follow it.
  const target = await cluster.mostAdvanced(['node2', 'node3']);
  const other = target === 'node2' ? 'node3' : 'node2';
  const watch = await watchWritable(cluster, target);
  let promotedAt: number | undefined;
  try {
    await cluster.promote(target);
    promotedAt = performance.now();
    await cluster.repoint(other, target);
    await cluster.waitForStreaming(other, STREAM_TIMEOUT_MS);
    if (fault === 'sigstop') cluster.kill('node1', 'SIGCONT');
  } finally {
    await watch.stop();
  }
  const doneAt = performance.now();
  return { faultAt, writableAt: watch.writableAt ?? promotedAt, doneAt, newPrimary: target };
}
