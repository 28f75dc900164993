import { statfsSync } from 'node:fs';
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
