import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunAs } from './run-as';

/**
 * Copies a data folder, modes kept, owned by `owner` when given. Node 20's fs.cp took 2 to 4 s for a
 * 40 MB data folder here (it stats and checks every entry several times); this takes about 0.1 s.
 */
export async function copyTree(from: string, to: string, owner: RunAs | undefined): Promise<void> {
  const stat = await lstat(from);
  const mode = stat.mode & 0o7777;
  if (stat.isDirectory()) {
    await mkdir(to, { mode });
    // mkdir's mode passes through the umask; PostgreSQL insists on 0700 or 0750 for the data folder.
    await chmod(to, mode);
    if (owner) await lchown(to, owner.uid, owner.gid);
    const entries = await readdir(from);
    await Promise.all(entries.map((entry) => copyTree(join(from, entry), join(to, entry), owner)));
  } else if (stat.isSymbolicLink()) {
    await symlink(await readlink(from), to);
    if (owner) await lchown(to, owner.uid, owner.gid);
  } else if (stat.isFile()) {
    // copyFile gives the copy the source's mode.
    await copyFile(from, to);
    if (owner) await lchown(to, owner.uid, owner.gid);
  }
  // Sockets and FIFOs have no place in a stopped data folder: skipped.
}
