import { statfsSync } from 'node:fs';

/**
 * Test clusters go to /dev/shm when it has room: initdb and the replica copies create about a thousand
 * files per node, and file creation in /tmp is many times slower on these machines. Both engines'
 * clusters use it.
 */
export function benchTmpDir(): string | undefined {
  if (process.env.FAILOVER_POOL_TMPDIR) return process.env.FAILOVER_POOL_TMPDIR;
  try {
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize > 4 * 1024 ** 3 ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}
