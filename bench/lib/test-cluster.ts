import type { TestCluster } from '../../src/testing';
import { benchTmpDir } from './tmp-dir';

/**
 * Runs `setup` as the app's account on the primary of a cluster being started (so the app owns the
 * tables it writes to), and hands the cluster back. A bench that fails half-way must leave no server
 * behind: a failed setup destroys the cluster here, and the caller must call `destroy()` otherwise.
 */
async function withTables<C extends TestCluster>(starting: Promise<C>, setup: readonly string[]): Promise<C> {
  const cluster = await starting;
  try {
    for (const sql of setup) await cluster.query(cluster.primary, sql, [], { as: 'app', timeoutMs: 60_000 });
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}

/**
 * The benches' way to start one engine's clusters (`start` is startPgCluster or
 * startMariadbCluster): in the bench's temporary folder, with the tables of `setup`.
 */
export function benchClusters<Options extends { tmpDir?: string }, C extends TestCluster>(
  start: (options: Options) => Promise<C>,
) {
  const startWithTables = (options: Options, setup: readonly string[]): Promise<C> =>
    withTables(start({ tmpDir: benchTmpDir(), ...options }), setup);
  return {
    /** A cluster with its tables; the caller destroys it. */
    start: startWithTables,
    /** Starts a cluster with its tables, hands it to `use`, and destroys it whatever happens. */
    async with<T>(options: Options, setup: readonly string[], use: (cluster: C) => Promise<T>): Promise<T> {
      const cluster = await startWithTables(options, setup);
      try {
        return await use(cluster);
      } finally {
        await cluster.destroy();
      }
    },
  };
}
