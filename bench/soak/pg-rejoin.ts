import { existsSync } from 'node:fs';
import { chown, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgCluster } from '../../src/testing';
import { primaryConninfo, SUPERUSER, setAutoConfSetting } from '../../src/testing/cluster/postgres-config';
import { serverEnvironment } from '../../src/testing/cluster/server-environment';
import { runToCompletion } from '../../src/testing/cluster/server-process';
import { firstLine } from './errors';

/**
 * Brings a former PostgreSQL primary (crashed by kill -9, or a stale one back from a hang) back as a
 * standby of `primary`, as Patroni does: pg_rewind onto the new timeline, then standby.signal and a
 * primary_conninfo naming the node (synchronous_standby_names matches it by application_name). The
 * harness has no step for this: its switchover only demotes a cleanly stopped primary, and a crashed
 * one may hold WAL its successor never received. If pg_rewind fails, the node is cloned afresh with
 * pg_basebackup. The cluster must run with wal_log_hints (pg_rewind needs it). Returns how it rejoined.
 */
export async function rejoinPgStandby(cluster: PgCluster, node: string, primary: string): Promise<string> {
  const { dataDir } = cluster.node(node);
  // SIGCONTs a hung node first; a node already down has nothing to stop.
  await cluster.stop(node, 'fast');
  // pg_rewind reads the source's timeline from its control file, which a promotion updates only at the
  // checkpoint that follows it: before that, it sees one timeline and says no rewind is needed.
  await cluster.query(primary, 'CHECKPOINT', [], { timeoutMs: 60_000 });
  const source = `host=127.0.0.1 port=${cluster.node(primary).port} user=${SUPERUSER} dbname=postgres`;
  let how = 'pg_rewind';
  try {
    await asServer(cluster, node, 'pg_rewind', [
      `--target-pgdata=${dataDir}`,
      `--source-server=${source}`,
      '--write-recovery-conf',
      '--no-sync',
    ]);
  } catch (error) {
    console.log(`    pg_rewind of ${node} failed, cloning it instead: ${firstLine(error)}`);
    how = 'pg_basebackup (pg_rewind failed)';
    // pg_basebackup wants an empty folder; the folder itself stays (its owner and mode are the server's).
    for (const entry of await readdir(dataDir))
      await rm(join(dataDir, entry), { recursive: true, force: true });
    await asServer(cluster, node, 'pg_basebackup', [
      `--pgdata=${dataDir}`,
      `--dbname=${source}`,
      '--wal-method=stream',
      '--checkpoint=fast',
      '--write-recovery-conf',
      '--no-sync',
    ]);
  }
  await setAutoConfSetting(dataDir, 'primary_conninfo', primaryConninfo(cluster.node(primary).port, node));
  const signal = join(dataDir, 'standby.signal');
  if (!existsSync(signal)) {
    await writeFile(signal, '');
    const owner = await stat(dataDir);
    await chown(signal, owner.uid, owner.gid);
  }
  await cluster.start(node);
  await cluster.waitForReplication(node, 30_000, primary);
  return how;
}

/**
 * Runs one of the cluster's PostgreSQL programs as the account that owns the node's data (the servers'
 * account when this process is root), with the harness's own runner: its output goes to the node's log.
 * Its working folder is the data folder, so the harness's cleanup finds it if the bench is interrupted.
 */
async function asServer(cluster: PgCluster, node: string, program: string, args: string[]): Promise<void> {
  const { dataDir } = cluster.node(node);
  const owner = await stat(dataDir);
  const root = process.getuid?.() === 0;
  await runToCompletion(
    join(cluster.binDir, program),
    args,
    {
      cwd: dataDir,
      env: serverEnvironment((key) => key.startsWith('PG')),
      runAs: root ? { user: String(owner.uid), uid: owner.uid, gid: owner.gid } : undefined,
      logFile: `${dataDir}.log`,
    },
    `${program} of ${node}`,
  );
}
