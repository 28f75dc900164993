import { sleep } from '../lib/time';
import type { WriteStream } from './stream';
import type { BenchCluster, FaultTimes } from './types';

const POLL_MS = 200;
const SAMPLE = 50;

/**
 * Waits until a write acknowledged after the new primary became writable is found on the new primary
 * (an acknowledgement from a stale node does not count), or until `neverAfterMs` from writability has
 * passed. Returns when it saw recovery, or undefined: the client never recovered within the bound.
 */
export async function waitForRecovery(
  cluster: Pick<BenchCluster, 'countOn'>,
  stream: WriteStream,
  times: FaultTimes,
  neverAfterMs: number,
): Promise<number | undefined> {
  for (;;) {
    const ids = stream.ackedAfter(times.writableAt, SAMPLE);
    if (ids.length > 0) {
      const seenAt = performance.now();
      const found = await cluster.countOn(times.newPrimary, ids).catch(() => 0);
      if (found > 0) return seenAt;
    }
    if (performance.now() - times.writableAt > neverAfterMs) return undefined;
    await sleep(POLL_MS);
  }
}
