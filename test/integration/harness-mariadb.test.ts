import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type MariadbCluster, startMariadbCluster } from '../../src/testing/index';
import { appQuery, mariadbUnavailable, sessionQuery, sleep } from './support/mariadb-cluster';

/*
 * Real mariadbd processes, real signals. Process facts are read from /proc, independently of the
 * harness's own bookkeeping, so a harness that only thinks it killed something fails here.
 */

const repoRoot = resolve(import.meta.dirname, '../..');

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function pidsOf(predicate: (pid: number) => boolean): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid && isRunning(pid) && predicate(pid));
}

/** Running processes whose working directory is `dir` or inside it: mariadbd runs in its data folder. */
function processesIn(dir: string): number[] {
  return pidsOf((pid) => {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return cwd === dir || cwd.startsWith(`${dir}/`);
    } catch {
      return false;
    }
  });
}

function reapersOf(baseDir: string): number[] {
  const text = `${baseDir}/cleanup-state.json`;
  return pidsOf((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
) {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(50);
  }
}

const clusters: MariadbCluster[] = [];
const children: ChildProcess[] = [];

async function newCluster(options: Parameters<typeof startMariadbCluster>[0] = {}): Promise<MariadbCluster> {
  const cluster = await startMariadbCluster(options);
  clusters.push(cluster);
  return cluster;
}

async function noteIds(cluster: MariadbCluster, node: string): Promise<number[]> {
  const rows = await cluster.query<{ id: number }>(node, 'SELECT id FROM app.notes ORDER BY id');
  return rows.map((row) => row.id);
}

async function waitForIds(cluster: MariadbCluster, node: string, ids: number[]): Promise<void> {
  await eventually(`${node} to hold notes ${ids.join(', ')}`, async () => {
    const present = await noteIds(cluster, node);
    return ids.every((id) => present.includes(id)) || undefined;
  });
}

async function variables(
  cluster: MariadbCluster,
  node: string,
  names: string[],
): Promise<Record<string, unknown>> {
  const [row] = await cluster.query<Record<string, unknown>>(
    node,
    `SELECT ${names.map((n) => `@@global.${n} AS ${n}`).join(', ')}`,
  );
  return row ?? {};
}

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(clusters.splice(0).map((cluster) => cluster.destroy()));
});

describe.skipIf(mariadbUnavailable() !== undefined)('startMariadbCluster', () => {
  it('comes up with node1 primary, two GTID replicas and an app account that read_only binds', async () => {
    const started = performance.now();
    const cluster = await newCluster();
    console.info(
      `[harness-mariadb] MariaDB ${cluster.serverVersion}: primary + 2 GTID replicas in ${Math.round(cluster.startupMs)} ms ` +
        `(${Math.round(performance.now() - started)} ms with binary lookup), base ${cluster.baseDir}`,
    );
    expect(cluster.nodes.map((node) => node.name)).toEqual(['node1', 'node2', 'node3']);
    expect(cluster.primary).toBe('node1');
    const ports = cluster.nodes.map((node) => node.port);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect([3306, 5432]).not.toContain(port);
    expect(cluster.connectionOptions.hosts).toEqual(ports.map((port) => `127.0.0.1:${port}`));
    for (const node of cluster.nodes) {
      expect(node.pid).toBeTypeOf('number');
      expect(processesIn(node.dataDir)).toEqual([node.pid]);
      if (process.getuid?.() === 0)
        expect(readFileSync(`/proc/${node.pid}/status`, 'utf8')).not.toMatch(/^Uid:\s+0\s/m);
    }

    expect(
      await variables(cluster, 'node1', ['read_only', 'server_id', 'log_slave_updates', 'gtid_strict_mode']),
    ).toEqual({
      read_only: 0,
      server_id: 1,
      log_slave_updates: 1,
      gtid_strict_mode: 1,
    });
    for (const [index, replica] of ['node2', 'node3'].entries()) {
      expect(await variables(cluster, replica, ['read_only', 'server_id'])).toEqual({
        read_only: 1,
        server_id: index + 2,
      });
      const [status] = await cluster.query<Record<string, unknown>>(replica, 'SHOW REPLICA STATUS');
      expect(status).toMatchObject({
        Slave_IO_Running: 'Yes',
        Slave_SQL_Running: 'Yes',
        Master_Host: '127.0.0.1',
        Master_Port: cluster.node('node1').port,
        Using_Gtid: 'Slave_Pos',
      });
    }

    // The app account: no global privilege that lets it past read_only (FACTS.md: root's would).
    const grants = await appQuery<Record<string, string>>(cluster, 'node1', 'SHOW GRANTS');
    const text = grants.map((row) => Object.values(row)[0]).join('\n');
    expect(text).not.toMatch(/SUPER|READ ONLY ADMIN|ALL PRIVILEGES ON \*\.\*/);
    await appQuery(cluster, 'node1', 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)');
    await appQuery(cluster, 'node1', "INSERT INTO notes VALUES (1, 'hello')");
    await waitForIds(cluster, 'node2', [1]);
    await waitForIds(cluster, 'node3', [1]);
    await expect(appQuery(cluster, 'node2', "INSERT INTO notes VALUES (2, 'no')")).rejects.toMatchObject({
      errno: 1290,
    });
    await expect(appQuery(cluster, 'node2', 'SHOW REPLICA STATUS')).resolves.toHaveLength(1);
  });

  it('a server that cannot start fails with its log lines, and leaves nothing behind', async () => {
    const failure = await startMariadbCluster({ replicas: 1, serverSettings: { 'no-such-option': 1 } }).then(
      () => new Error('started anyway'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/node\d \(port \d+\) exited while starting/);
    expect(failure.message).toMatch(/unknown variable 'no-such-option=1'/);
    const baseDir = /(\/\S+\/failover-pool-mariadb-[^/\s]+)\/node\d\.log/.exec(failure.message)?.[1];
    expect(baseDir).toBeDefined();
    expect(existsSync(baseDir ?? '/')).toBe(false);
    expect(processesIn(baseDir ?? '/')).toEqual([]);
  });

  it('SIGSTOP freezes a node, SIGCONT resumes it, SIGKILL leaves nothing, start brings it back replicating', async () => {
    const cluster = await newCluster();
    const node2 = cluster.node('node2');
    const pid = node2.pid as number;
    cluster.kill('node2', 'SIGSTOP');
    expect(processState(pid)).toBe('T');
    await expect(
      cluster.query('node2', 'SELECT 1', [], { connectTimeoutMs: 1_000, timeoutMs: 1_000 }),
    ).rejects.toThrow();
    cluster.kill('node2', 'SIGCONT');
    expect(processState(pid)).not.toBe('T');
    expect(await cluster.query('node2', 'SELECT 1 AS one', [], { timeoutMs: 2_000 })).toEqual([{ one: 1 }]);

    cluster.kill('node2', 'SIGKILL');
    await eventually('node2 to die', () =>
      !isRunning(pid) && processesIn(node2.dataDir).length === 0 ? true : undefined,
    );
    await eventually('node2 to be marked stopped', () => (node2.pid === undefined ? true : undefined), 2_000);
    await cluster.start('node2');
    expect(node2.pid).toBeTypeOf('number');
    await cluster.waitForReplicating('node2', 15_000);
    expect(await variables(cluster, 'node2', ['read_only'])).toEqual({ read_only: 1 });
  });

  it('promote and repoint: node2 takes over after node1 is killed, node3 follows it with GTIDs', async () => {
    const cluster = await newCluster();
    await cluster.query('node1', 'CREATE TABLE app.notes (id INT PRIMARY KEY)');
    await cluster.query('node1', 'INSERT INTO app.notes VALUES (1)');
    await waitForIds(cluster, 'node2', [1]);
    await waitForIds(cluster, 'node3', [1]);

    cluster.kill('node1', 'SIGKILL');
    await cluster.promote('node2');
    expect(cluster.primary).toBe('node2');
    expect(await cluster.query('node2', 'SHOW REPLICA STATUS')).toEqual([]);
    expect(await variables(cluster, 'node2', ['read_only'])).toEqual({ read_only: 0 });
    await cluster.repoint('node3', 'node2');
    await cluster.waitForReplicating('node3', 15_000);

    await appQuery(cluster, 'node2', 'INSERT INTO notes VALUES (2)');
    await waitForIds(cluster, 'node3', [1, 2]);
    // node2's first transaction continues node1's sequence: what the pool reads as its takeover point.
    const state = await variables(cluster, 'node2', ['gtid_binlog_state', 'gtid_slave_pos']);
    expect(state).toEqual({ gtid_binlog_state: '0-1-2,0-2-3', gtid_slave_pos: '0-1-2' });
  });

  it('switchover: the old primary goes read-only, follows the new one, and back again', async () => {
    const cluster = await newCluster();
    await cluster.query('node1', 'CREATE TABLE app.notes (id INT PRIMARY KEY)');
    await cluster.query('node1', 'INSERT INTO app.notes VALUES (1)');

    let started = performance.now();
    await cluster.switchover('node2');
    console.info(
      `[harness-mariadb] switchover node1 -> node2 in ${Math.round(performance.now() - started)} ms`,
    );
    expect(cluster.primary).toBe('node2');
    for (const replica of ['node1', 'node3']) {
      const [status] = await cluster.query<Record<string, unknown>>(replica, 'SHOW REPLICA STATUS');
      expect(status).toMatchObject({
        Slave_IO_Running: 'Yes',
        Slave_SQL_Running: 'Yes',
        Master_Port: cluster.node('node2').port,
      });
      expect(await variables(cluster, replica, ['read_only'])).toEqual({ read_only: 1 });
    }
    await appQuery(cluster, 'node2', 'INSERT INTO notes VALUES (2)');
    await waitForIds(cluster, 'node1', [1, 2]);
    await waitForIds(cluster, 'node3', [1, 2]);

    started = performance.now();
    await cluster.switchover('node1');
    console.info(
      `[harness-mariadb] switchover node2 -> node1 in ${Math.round(performance.now() - started)} ms`,
    );
    await appQuery(cluster, 'node1', 'INSERT INTO notes VALUES (3)');
    await waitForIds(cluster, 'node2', [1, 2, 3]);
    await waitForIds(cluster, 'node3', [1, 2, 3]);
  });

  it('semiSync: lossless AFTER_SYNC; a commit waits (its row uncommitted) while the semi-sync replica is stopped', async () => {
    const cluster = await newCluster({ semiSync: true });
    expect(
      await variables(cluster, 'node1', [
        'rpl_semi_sync_master_enabled',
        'rpl_semi_sync_master_wait_point',
        'rpl_semi_sync_master_timeout',
      ]),
    ).toEqual({
      rpl_semi_sync_master_enabled: 1,
      rpl_semi_sync_master_wait_point: 'AFTER_SYNC',
      rpl_semi_sync_master_timeout: 3_600_000,
    });
    // Only the first replica acknowledges, so it always holds every acknowledged write.
    expect(
      await variables(cluster, 'node2', ['rpl_semi_sync_slave_enabled', 'rpl_semi_sync_master_enabled']),
    ).toEqual({
      rpl_semi_sync_slave_enabled: 1,
      rpl_semi_sync_master_enabled: 0,
    });
    expect(await variables(cluster, 'node3', ['rpl_semi_sync_slave_enabled'])).toEqual({
      rpl_semi_sync_slave_enabled: 0,
    });

    await cluster.query('node1', 'CREATE TABLE app.notes (id INT PRIMARY KEY)');
    cluster.kill('node2', 'SIGSTOP');
    let settled = false;
    const commit = appQuery(cluster, 'node1', 'INSERT INTO notes VALUES (1)').finally(() => {
      settled = true;
    });
    await sleep(1_500);
    expect(settled).toBe(false);
    // Not visible to others until acknowledged, but there: what the failover test reads for strays.
    expect(await noteIds(cluster, 'node1')).toEqual([]);
    const uncommitted = await sessionQuery<{ id: number }>(
      cluster,
      'node1',
      [['SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED'], ['SELECT id FROM notes']],
      'admin',
    );
    expect(uncommitted).toEqual([{ id: 1 }]);
    cluster.kill('node2', 'SIGCONT');
    await commit;
    await waitForIds(cluster, 'node2', [1]);

    // After a promotion the others acknowledge the new primary.
    cluster.kill('node1', 'SIGKILL');
    await cluster.promote('node2');
    await cluster.repoint('node3', 'node2');
    await cluster.waitForReplicating('node3', 15_000);
    await appQuery(cluster, 'node2', 'INSERT INTO notes VALUES (2)');
    const [acks] = await cluster.query<{ Value: string }>(
      'node2',
      "SHOW STATUS LIKE 'Rpl_semi_sync_master_yes_tx'",
    );
    expect(Number(acks?.Value)).toBeGreaterThan(0);
  });

  it('destroy() kills every process, stopped ones too, and removes the folder', async () => {
    const cluster = await newCluster();
    const { baseDir } = cluster;
    const pids = processesIn(baseDir);
    expect(pids).toHaveLength(3);
    expect(reapersOf(baseDir)).toHaveLength(1);
    cluster.kill('node1', 'SIGSTOP');
    cluster.kill('node3', 'SIGSTOP');

    await cluster.destroy();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(processesIn(baseDir)).toEqual([]);
    expect(existsSync(baseDir)).toBe(false);
    await cluster.destroy();
    await eventually('the reaper to exit', () => (reapersOf(baseDir).length === 0 ? true : undefined), 3_000);
  });

  it('the reaper cleans up after a test process killed with SIGKILL', async () => {
    const entry = pathToFileURL(resolve(repoRoot, 'src/testing/index.ts')).href;
    const script = `
      import { startMariadbCluster } from ${JSON.stringify(entry)};
      const cluster = await startMariadbCluster({ replicas: 1 });
      process.stdout.write(JSON.stringify({ baseDir: cluster.baseDir }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const line = await new Promise<string>((done, fail) => {
      let stdout = '';
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('\n')) done(stdout.slice(0, stdout.indexOf('\n')));
      });
      child.once('exit', (code) =>
        fail(new Error(`child exited (${code}) before starting a cluster: ${stderr}`)),
      );
    });
    const { baseDir } = JSON.parse(line) as { baseDir: string };
    const pids = processesIn(baseDir);
    expect(pids).toHaveLength(2);

    const killed = performance.now();
    child.kill('SIGKILL');
    await eventually(
      'the servers, the folder and the reaper to be gone',
      () =>
        pids.every((pid) => !isRunning(pid)) &&
        processesIn(baseDir).length === 0 &&
        !existsSync(baseDir) &&
        reapersOf(baseDir).length === 0
          ? true
          : undefined,
      5_000,
    );
    console.info(
      `[harness-mariadb] reaper cleaned up ${Math.round(performance.now() - killed)} ms after SIGKILL`,
    );
  });
});
