import { afterEach } from 'vitest';

/** Anything that ends: a pg pool, a mysql2 handle. */
export interface Endable {
  end(): Promise<unknown>;
}

/**
 * Ends, after each test, the pools the test created and did not end itself, so one failing test
 * leaves no connection open into the next. A pool that does not end within half a second (a client
 * still checked out) is left to the server's shutdown rather than hanging the suite.
 */
export function trackPools(): <T extends Endable>(pool: T) => T {
  const open = new Set<Endable>();
  afterEach(async () => {
    const pools = [...open];
    open.clear();
    await Promise.all(
      pools.map((pool) =>
        Promise.race([pool.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]),
      ),
    );
  });
  return (pool) => {
    open.add(pool);
    return pool;
  };
}
