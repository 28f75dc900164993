import { afterEach } from 'vitest';

/**
 * What the tests of a file start and none may outlive: after each test, whatever happened, the
 * pools are ended, then the clusters destroyed (a pool first: its connections would otherwise
 * wait on servers that are gone). `pool` takes anything with `end()`; `ends` any other closing step.
 */
export function endedAfterEach() {
  const closing: (() => Promise<unknown>)[] = [];
  const clusters: { destroy(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((close) => close()));
    await Promise.all(clusters.splice(0).map((cluster) => cluster.destroy()));
  });
  return {
    cluster<C extends { destroy(): Promise<void> }>(cluster: C): C {
      clusters.push(cluster);
      return cluster;
    },
    pool<P extends { end(): Promise<unknown> }>(pool: P): P {
      closing.push(() => pool.end());
      return pool;
    },
    ends(close: () => Promise<unknown>): void {
      closing.push(close);
    },
  };
}
