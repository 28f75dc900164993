import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MariadbCluster } from '../../src/testing';
import { APP_DATABASE } from '../../src/testing/cluster/mariadb-config';
import { firstLine } from './errors';

/**
 * Brings a former MariaDB primary (crashed, or a stale one back from a hang) back as a replica of
 * `primary`: (re)started read-only (the harness no longer calls it primary), then repointed with its
 * own GTID history, as Orchestrator does. A crash or hang can leave a transaction in its binary log that
 * no replica received (semi-sync waits for the acknowledgement after writing it): its history has then
 * diverged and gtid_strict_mode refuses it. MariaDB has no pg_rewind, so such a node is reseeded: its
 * binary log reset and the app's database loaded from a consistent dump of the primary, with the
 * dump's GTID position as where it continues from. Returns how it rejoined.
 */
export async function rejoinMariadbReplica(
  cluster: MariadbCluster,
  node: string,
  primary: string,
): Promise<string> {
  // A stale primary back from a hang is restarted, not demoted live: its commits wait for a semi-sync
  // acknowledgement that never comes, and `SET GLOBAL read_only = ON` would wait for them forever.
  // (halt SIGCONTs it first.) The harness then starts it read-only, since it no longer calls it primary.
  await cluster.stop(node, 'immediate');
  await cluster.start(node);
  try {
    await cluster.repoint(node, primary);
    // A diverged history fails at once (gtid_strict_mode): a short wait before reseeding.
    await cluster.waitForReplication(node, 5_000, primary);
    return 'repointed';
  } catch (error) {
    // The server's error number says why (1236: the history diverged); the whole message is long.
    const why = /error (\d+)/i.exec(firstLine(error))?.[0] ?? 'no replication';
    await reseed(cluster, node, primary);
    return `reseeded from a dump (${why})`;
  }
}

async function reseed(cluster: MariadbCluster, node: string, primary: string): Promise<void> {
  for (const sql of ['STOP SLAVE', 'RESET SLAVE ALL', 'RESET MASTER', 'SET GLOBAL read_only = ON']) {
    await cluster.query(node, sql);
  }
  const file = join(cluster.baseDir, `${node}-reseed.sql`);
  const login = (name: string) => ['-h127.0.0.1', `-P${cluster.node(name).port}`, `-u${cluster.admin.user}`];
  // --master-data=2 writes the GTID position as a comment: read here, set once the data is in.
  const { password } = cluster.admin;
  const dumpArgs = [...login(primary), '--single-transaction', '--gtid', '--master-data=2', APP_DATABASE];
  await client('mariadb-dump', dumpArgs, password, { stdout: file });
  const position = /gtid_slave_pos='([^']*)'/.exec(await readFile(file, 'utf8'))?.[1];
  if (position === undefined) throw new Error(`the dump of ${primary} names no GTID position`);
  // Not logged: the node's own binary log must stay empty, or its history diverges again.
  const loadArgs = [...login(node), '--init-command=SET sql_log_bin=0', APP_DATABASE];
  await client('mariadb', loadArgs, password, { stdin: file });
  await cluster.query(node, `SET GLOBAL gtid_slave_pos = '${position}'`);
  await cluster.repoint(node, primary);
  await cluster.waitForReplication(node, 30_000, primary);
}

/** Runs a MariaDB client program as the harness's admin (password from the environment, not argv). */
function client(
  program: string,
  args: string[],
  password: string,
  files: { stdin?: string; stdout?: string },
): Promise<void> {
  const input = files.stdin === undefined ? 'ignore' : openSync(files.stdin, 'r');
  const output = files.stdout === undefined ? 'ignore' : openSync(files.stdout, 'w');
  try {
    const child = spawn(program, args, {
      stdio: [input, output, 'pipe'],
      env: { ...process.env, MYSQL_PWD: password },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-400);
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${program} exited with ${code}: ${stderr.trim()}`)),
      );
    });
  } finally {
    for (const fd of [input, output]) if (typeof fd === 'number') closeSync(fd);
  }
}
