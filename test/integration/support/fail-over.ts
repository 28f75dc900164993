import type { TestCluster } from '../../../src/testing';
import { promoteMostAdvanced } from './engine-fixture';
import { sleep } from './wait';

/**
 * What a failover manager does `promoteAfterMs` after the primary failed: promotes the replica that
 * received the most and points the others at it. Returns the new primary and when it took writes.
 */
export async function failOverAfter(cluster: TestCluster, promoteAfterMs: number) {
  await sleep(promoteAfterMs);
  const [next, others] = await promoteMostAdvanced(cluster);
  const writableAt = performance.now();
  for (const other of others) await cluster.waitForReplication(other, 15_000);
  return { next, writableAt };
}
