import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/*
 * grastate.dat is where a Galera node keeps its place in the cluster's history between runs. It
 * also says whether the node may start a new cluster from its own data (`safe_to_bootstrap: 1`):
 * only the last node to leave a cluster cleanly says so, and a node that says 0 refuses
 * `--wsrep-new-cluster` ("It may not be safe to bootstrap the cluster from this node").
 */

const UNSAFE = /^safe_to_bootstrap:\s*0\s*$/m;

/**
 * Lets the node in `dataDir` start a new cluster from its own data, as an operator does by editing
 * grastate.dat once they have chosen that node (after every node was killed, say). A new node has
 * no grastate.dat yet: nothing to change.
 */
export async function allowBootstrap(dataDir: string): Promise<void> {
  const file = join(dataDir, 'grastate.dat');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // Rewritten in place, so the file keeps its owner (the servers' account) and mode.
  if (UNSAFE.test(text)) await writeFile(file, text.replace(UNSAFE, 'safe_to_bootstrap: 1'));
}
