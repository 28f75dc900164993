import type { SessionRun } from './mariadb-client';
import { changeMasterSql, type GtidMode, quote } from './mariadb-config';

/**
 * The replication steps of the MariaDB harness, as a failover tool (Orchestrator, MaxScale, MHA) takes
 * them, each on an admin session of one node.
 */

export interface ReplicaStatus {
  readonly ioRunning: string;
  readonly sqlRunning: string;
  readonly sourcePort: number | undefined;
  /** The last GTID the IO thread received. */
  readonly gtidIoPos: string;
  readonly lastError: string;
}

/** MariaDB's replica status, or undefined when the node replicates from nobody. */
export async function replicaStatus(run: SessionRun): Promise<ReplicaStatus | undefined> {
  const [row] = await run<Record<string, unknown>>('SHOW REPLICA STATUS');
  if (!row) return undefined;
  const port = Number(row.Master_Port);
  return {
    ioRunning: String(row.Slave_IO_Running),
    sqlRunning: String(row.Slave_SQL_Running),
    sourcePort: Number.isFinite(port) && port > 0 ? port : undefined,
    gtidIoPos: String(row.Gtid_IO_Pos ?? ''),
    lastError: [row.Last_IO_Error, row.Last_SQL_Error].filter(Boolean).join('; '),
  };
}

/** Waits (on a replica) until it has applied `position`; MASTER_GTID_WAIT answers 0, or -1 on timeout. */
export async function applyUpTo(run: SessionRun, position: string, timeoutS: number): Promise<boolean> {
  if (position === '') return true;
  const [row] = await run<{ done: number | string }>(
    `SELECT MASTER_GTID_WAIT(${quote(position)}, ${timeoutS}) AS done`,
  );
  return Number(row?.done) === 0;
}

/**
 * Makes a replica the primary. It first applies everything it received (a promotion that dropped its
 * relay log would lose acknowledged semi-sync writes), then forgets its source and takes writes. In
 * semi-sync mode it waits for an acknowledgement from its own replicas from the first write on.
 */
export async function promote(run: SessionRun, semiSync: boolean, describe: string): Promise<void> {
  const status = await replicaStatus(run);
  if (!status) throw new Error(`${describe} is not a replica: there is nothing to promote.`);
  await run('STOP SLAVE IO_THREAD');
  const received = (await replicaStatus(run))?.gtidIoPos ?? status.gtidIoPos;
  if (!(await applyUpTo(run, received, 60))) {
    throw new Error(`${describe} did not apply what it had received (${received}) within 60 s.`);
  }
  await run('STOP SLAVE');
  await run('RESET SLAVE ALL');
  if (semiSync) {
    await run('SET GLOBAL rpl_semi_sync_slave_enabled = OFF');
    await run('SET GLOBAL rpl_semi_sync_master_enabled = ON');
  }
  await run('SET GLOBAL read_only = OFF');
}

/**
 * Points a node at another primary: a replica, or a former primary being demoted (which continues
 * from its own history, `current_pos`). It becomes read-only first, as a replica must be.
 */
export async function repoint(
  run: SessionRun,
  primaryPort: number,
  replicationPassword: string,
  semiSync: boolean,
): Promise<void> {
  const wasReplica = (await replicaStatus(run)) !== undefined;
  await run('SET GLOBAL read_only = ON');
  if (wasReplica) await run('STOP SLAVE');
  if (semiSync) {
    // A replica with the primary side on would wait for acknowledgements of what it applies.
    await run('SET GLOBAL rpl_semi_sync_master_enabled = OFF');
    await run('SET GLOBAL rpl_semi_sync_slave_enabled = ON');
  }
  const gtid: GtidMode = wasReplica ? 'slave_pos' : 'current_pos';
  await run(changeMasterSql(primaryPort, replicationPassword, gtid));
  await run('START SLAVE');
}

/** Stops a primary taking writes and returns everything it wrote (its binary log position). */
export async function demote(run: SessionRun): Promise<string> {
  await run('SET GLOBAL read_only = ON');
  const [row] = await run<{ position: string }>('SELECT @@global.gtid_binlog_pos AS position');
  return row?.position ?? '';
}
