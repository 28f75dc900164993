import { statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test clusters go to /dev/shm when it has room: initdb and the replica copies create about a
 * thousand files per node, and file creation in /tmp was up to 20 times slower on these machines.
 * A small /dev/shm (64 MB in Docker) is left alone.
 */
function clusterTmpDir(): Record<string, string> {
  if (process.env.FAILOVER_POOL_TMPDIR) return {};
  try {
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize > 4 * 1024 ** 3 ? { FAILOVER_POOL_TMPDIR: '/dev/shm' } : {};
  } catch {
    return {};
  }
}

/**
 * examples/ import the library by its package name. Node would resolve it to the build in dist/
 * (the package refers to itself); the tests run it from the sources instead, as tsconfig.json's
 * `paths` do for the type check and tsx, so that the examples and the test's own imports of src/
 * share one copy of the library and no build is needed.
 */
const packageSources = [
  { find: /^failover-pool$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  {
    find: /^failover-pool\/pg$/,
    replacement: fileURLToPath(new URL('./src/drivers/pg/index.ts', import.meta.url)),
  },
  {
    find: /^failover-pool\/mysql2$/,
    replacement: fileURLToPath(new URL('./src/drivers/mysql2/index.ts', import.meta.url)),
  },
  {
    find: /^failover-pool\/testing$/,
    replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
  },
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        resolve: { alias: packageSources },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/integration/support/no-unhandled.ts'],
          env: clusterTmpDir(),
          // Real database clusters: one file at a time on a 2-core machine, so timing-sensitive
          // failover scenarios do not fight each other for CPU.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
