import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GaleraCluster, harness, startGaleraCluster } from '../../src/testing';
import { clusterInChild, isRunning, processesIn, processState, reapersOf } from './support/processes';
import { skipOrFail } from './support/required-servers';
import { idsIn } from './support/rows';
import { eventually } from './support/wait';

/*
 * startGaleraCluster against real mariadbd processes: what every node reports about itself is read
 * from its wsrep_* status, and process facts from /proc, independently of the harness's bookkeeping.
 * One cluster goes through the faults in turn; each test leaves it with every node Synced again.
 */

/** Why Galera clusters cannot start here (CI installs galera-4 and requires it). */
function galeraUnavailable(): string | undefined {
  const reason = harness.missingServer('galera');
  if (reason) skipOrFail('MariaDB Galera (the Galera harness tests)', reason);
  return reason;
}

/** Galera's "WSREP has not yet prepared node for application use": outside the Primary component. */
const NOT_PREPARED = { errno: 1047 };

describe.skipIf(galeraUnavailable() !== undefined)('startGaleraCluster', () => {
  let cluster: GaleraCluster;
  let nextId = 1;

  /** The app inserts a note on `node` and gets its id back. */
  const write = async (node: string): Promise<number> => {
    const id = nextId++;
    await cluster.query(node, `INSERT INTO notes VALUES (${id}, '${node}')`, [], { as: 'app' });
    return id;
  };
  /** The notes `node` holds, read causally: every commit the cluster had is applied first. */
  const notesOn = (node: string) => idsIn(cluster, node, 'notes', { causal: true });
  const sizeSeenBy = async (node: string) => (await cluster.status(node)).clusterSize;
  /** Until every one of `nodes` is Primary, Synced and ready in a component of `size`. */
  const componentOf = (nodes: string[], size: number) =>
    eventually(
      `${nodes.join(', ')} to form a Primary component of ${size}`,
      async () => {
        const states = await Promise.all(nodes.map((node) => cluster.status(node)));
        return states.every((state) => state.synced && state.clusterSize === size);
      },
      15_000,
    );

  beforeAll(async () => {
    const startedAt = performance.now();
    cluster = await startGaleraCluster();
    console.info(
      `[galera] ${cluster.description}: 3 nodes Synced in ${Math.round(cluster.startupMs)} ms ` +
        `(${Math.round(performance.now() - startedAt)} ms with binary lookup), base ${cluster.baseDir}`,
    );
    await cluster.query(cluster.primary, 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)', [], {
      as: 'app',
    });
  });

  afterAll(async () => {
    const baseDir = cluster?.baseDir;
    await cluster?.destroy();
    if (baseDir) {
      expect(processesIn(baseDir)).toEqual([]);
      expect(existsSync(baseDir)).toBe(false);
    }
  });

  it('comes up as one Primary component of three Synced nodes, each with its own ports, run as the servers account', async () => {
    expect(cluster.engine).toBe('galera');
    expect(cluster.nodes.map((node) => node.name)).toEqual(['node1', 'node2', 'node3']);
    const ports = cluster.nodes.flatMap((node) => [
      node.port,
      node.galeraPorts.group,
      node.galeraPorts.ist,
      node.galeraPorts.sst,
    ]);
    expect(new Set(ports).size).toBe(12);
    for (const port of ports) expect([3306, 4444, 4567, 4568]).not.toContain(port);
    expect(cluster.connectionOptions.hosts).toEqual(cluster.nodes.map((node) => `127.0.0.1:${node.port}`));

    const states = await Promise.all(cluster.nodes.map((node) => cluster.status(node.name)));
    for (const state of states) {
      expect(state).toMatchObject({
        clusterStatus: 'Primary',
        localState: 4,
        localStateComment: 'Synced',
        ready: true,
        connected: true,
        clusterSize: 3,
        synced: true,
      });
      expect(state.clusterStateUuid).toBe(states[0]?.clusterStateUuid);
      expect([...state.incomingAddresses].sort()).toEqual([...cluster.connectionOptions.hosts].sort());
    }
    expect(states.map((state) => state.localIndex).sort()).toEqual([0, 1, 2]);
    expect(new Set(states.map((state) => state.nodeUuid)).size).toBe(3);

    const [settings] = await cluster.query<Record<string, string>>(
      'node2',
      'SELECT @@wsrep_sst_method AS sst, @@wsrep_provider_options AS options, @@wsrep_cluster_name AS name',
    );
    expect(settings?.sst).toBe('rsync');
    expect(settings?.name).toBe(cluster.clusterName);
    expect(settings?.options).toContain(
      `gmcast.listen_addr = tcp://127.0.0.1:${cluster.node('node2').galeraPorts.group}`,
    );
    expect(settings?.options).toContain('evs.suspect_timeout = PT1S');

    for (const node of cluster.nodes) {
      expect(processesIn(node.dataDir)).toEqual([node.pid]);
      if (process.getuid?.() === 0)
        expect(readFileSync(`/proc/${node.pid}/status`, 'utf8')).not.toMatch(/^Uid:\s+0\s/m);
    }
  });

  it('the app writes on one node and reads on the others; it may read the wsrep status, and holds no SUPER', async () => {
    const ids = [await write('node1'), await write('node2'), await write('node3')];
    for (const node of ['node1', 'node2', 'node3']) expect(await notesOn(node)).toEqual(ids.map(String));

    const [status] = await cluster.query<{ Value: string }>(
      'node2',
      "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'",
      [],
      {
        as: 'app',
      },
    );
    expect(status?.Value).toBe('4');
    const grants = await cluster.query<Record<string, string>>('node1', 'SHOW GRANTS', [], { as: 'app' });
    expect(grants.map((row) => Object.values(row)[0]).join('\n')).not.toMatch(
      /SUPER|READ ONLY ADMIN|ALL PRIVILEGES ON \*\.\*/,
    );
  });

  it('as a TestCluster: switchover and promote choose the writer, mostAdvanced compares commits, accounts reach every node', async () => {
    expect(cluster.primary).toBe('node1');
    await cluster.switchover('node2');
    expect(cluster.primary).toBe('node2');
    await cluster.promote('node1');
    expect(cluster.primary).toBe('node1');
    await expect(cluster.switchover('node1')).rejects.toThrow(/already the primary/);
    await cluster.repoint('node3', 'node1');
    await cluster.waitForReplication('node3');
    expect(['node2', 'node3']).toContain(await cluster.mostAdvanced());

    const { user } = await cluster.createPromotionAccount();
    const [account] = await cluster.query<{ n: number }>(
      'node3',
      `SELECT COUNT(*) AS n FROM mysql.global_priv WHERE User = '${user}'`,
    );
    expect(account?.n).toBe(1);
  });

  it('an isolated node leaves the Primary component and refuses queries (1047); un-isolated, it catches up', async () => {
    const isolatedAt = performance.now();
    await cluster.isolate('node3', true);
    await eventually(
      'node3 to leave the Primary component',
      async () => !(await cluster.status('node3')).synced,
    );
    expect(await cluster.status('node3')).toMatchObject({
      clusterStatus: 'non-Primary',
      ready: false,
      clusterSize: 1,
    });
    await expect(cluster.query('node3', 'SELECT * FROM notes', [], { as: 'app' })).rejects.toMatchObject(
      NOT_PREPARED,
    );
    await expect(write('node3')).rejects.toMatchObject(NOT_PREPARED);
    await componentOf(['node1', 'node2'], 2);
    console.info(
      `[galera] node1 and node2 went on without node3 ${Math.round(performance.now() - isolatedAt)} ms after its isolation`,
    );
    const whileAway = await write('node1');

    await cluster.isolate('node3', false);
    const back = performance.now();
    await cluster.waitForSynced('all');
    console.info(`[galera] node3 Synced again ${Math.round(performance.now() - back)} ms after un-isolation`);
    expect(await notesOn('node3')).toContain(String(whileAway));
  });

  it('after kill -9 of one node the other two stay Primary; started again, it rejoins', async () => {
    const { pid } = cluster.node('node2');
    cluster.kill('node2', 'SIGKILL');
    await eventually('node2 to be gone', () => pid !== undefined && !isRunning(pid));
    const killed = performance.now();
    await componentOf(['node1', 'node3'], 2);
    console.info(
      `[galera] a component of 2 without the killed node2 in ${Math.round(performance.now() - killed)} ms`,
    );
    const whileDown = await write('node3');

    const restarting = performance.now();
    await cluster.start('node2');
    console.info(`[galera] node2 restarted and Synced in ${Math.round(performance.now() - restarting)} ms`);
    expect(await cluster.status('node2')).toMatchObject({ synced: true, clusterSize: 3 });
    expect(await notesOn('node2')).toContain(String(whileDown));
    expect(cluster.node('node2').pid).not.toBe(pid);
  });

  it('a node hung by SIGSTOP is dropped by the others; after SIGCONT it rejoins by itself', async () => {
    cluster.kill('node1', 'SIGSTOP');
    const stoppedAt = performance.now();
    try {
      expect(processState(cluster.node('node1').pid ?? 0)).toBe('T');
      await componentOf(['node2', 'node3'], 2);
      console.info(
        `[galera] node2 and node3 dropped the hung node1 in ${Math.round(performance.now() - stoppedAt)} ms`,
      );
      await write('node2');
    } finally {
      cluster.kill('node1', 'SIGCONT');
    }
    await cluster.waitForSynced('all');
    expect(await notesOn('node1')).toEqual(await notesOn('node2'));
  });

  it('a node stopped cleanly leaves the component at once; the other two keep their majority', async () => {
    await cluster.stop('node3');
    expect(processesIn(cluster.node('node3').dataDir)).toEqual([]);
    expect(await sizeSeenBy('node1')).toBe(2);
    expect(await cluster.status('node2')).toMatchObject({ synced: true, clusterSize: 2 });
    await write('node2');
    await cluster.start('node3');
    await cluster.waitForSynced('all');
  });

  it('without a majority no node serves; bootstrap makes a component Primary, and the others rejoin it', async () => {
    await cluster.isolate('node2', true);
    await cluster.isolate('node3', true);
    await eventually(
      'node1 to lose its majority',
      async () => (await cluster.status('node1')).clusterStatus === 'non-Primary',
    );
    expect(await cluster.status('node1')).toMatchObject({ clusterSize: 1, ready: false, synced: false });
    await expect(write('node1')).rejects.toMatchObject(NOT_PREPARED);
    await cluster.bootstrap('node1');
    expect(await cluster.status('node1')).toMatchObject({
      clusterStatus: 'Primary',
      clusterSize: 1,
      synced: true,
    });
    await expect(cluster.bootstrap('node1')).rejects.toThrow(/node1 is in a Primary component already/);
    const afterBootstrap = await write('node1');
    expect((await cluster.status('node2')).clusterStatus).toBe('non-Primary');

    await cluster.isolate('node2', false);
    await cluster.isolate('node3', false);
    await cluster.waitForSynced('all');
    for (const node of ['node2', 'node3']) expect(await notesOn(node)).toContain(String(afterBootstrap));
  });

  it('with every node killed, a node started alone starts a new cluster from its data, and the others join it', async () => {
    const before = await notesOn('node1');
    for (const node of ['node1', 'node2', 'node3']) cluster.kill(node, 'SIGKILL');
    await eventually('every node to be gone', () =>
      cluster.nodes.every((node) => processesIn(node.dataDir).length === 0),
    );
    // A crash leaves no node safe to bootstrap from; the harness overrides that for the node started first.
    expect(readFileSync(join(cluster.node('node3').dataDir, 'grastate.dat'), 'utf8')).toMatch(
      /safe_to_bootstrap: 0/,
    );
    await cluster.start('node3');
    expect(await cluster.status('node3')).toMatchObject({ synced: true, clusterSize: 1 });
    await cluster.start('node1');
    await cluster.start('node2');
    await cluster.waitForSynced('all');
    expect(await notesOn('node2')).toEqual(before);
  });
});

describe.skipIf(galeraUnavailable() !== undefined)('startGaleraCluster, other shapes', () => {
  it('takes `nodes`; with proxies the app reaches each node through its fault proxy', async () => {
    await expect(startGaleraCluster({ nodes: 0 })).rejects.toThrow(/nodes must be an integer from 1 to 16/);
    const single = await startGaleraCluster({ nodes: 1, proxies: true });
    try {
      expect(await single.status('node1')).toMatchObject({ synced: true, clusterSize: 1 });
      const [host] = single.connectionOptions.hosts;
      expect(host).toBe(`${single.proxy('node1').host}:${single.proxy('node1').port}`);
      const { user, password } = single.connectionOptions;
      const connection = await mysql.createConnection({
        host: '127.0.0.1',
        port: Number(host?.split(':')[1]),
        user,
        password,
      });
      try {
        const [rows] = await connection.query<RowDataPacket[]>('SELECT @@port AS port, @@wsrep_on AS wsrep');
        expect(rows[0]).toMatchObject({ port: single.node('node1').port, wsrep: 1 });
      } finally {
        connection.destroy();
      }
    } finally {
      await single.destroy();
    }
  });

  it('a node that cannot start fails the start with its log lines, and leaves nothing behind', async () => {
    const failure = await startGaleraCluster({ nodes: 2, serverSettings: { 'no-such-option': 1 } }).then(
      async (started) => {
        await started.destroy();
        return new Error('started anyway');
      },
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/node1 \(port \d+\) exited while starting/);
    expect(failure.message).toMatch(/unknown variable 'no-such-option=1'/);
    const baseDir = /(\/\S+\/failover-pool-galera-[^/\s]+)\/node1\.log/.exec(failure.message)?.[1];
    expect(baseDir).toBeDefined();
    expect(existsSync(baseDir ?? '/')).toBe(false);
    expect(processesIn(baseDir ?? '/')).toEqual([]);
  });

  it('refuses failure detection periods Galera would refuse, before starting anything', async () => {
    // Galera's own rules: evs.keepalive_period below a third of evs.suspect_timeout, and
    // evs.inactive_check_period below half of it.
    await expect(startGaleraCluster({ providerOptions: { 'evs.keepalive_period': 'PT1S' } })).rejects.toThrow(
      /evs.keepalive_period=PT1S: it must stay below a third of evs.suspect_timeout \(PT1S\)/,
    );
    await expect(
      startGaleraCluster({
        providerOptions: { 'evs.suspect_timeout': 'PT0.5S', 'evs.keepalive_period': 'PT0.1S' },
      }),
    ).rejects.toThrow(/evs.inactive_check_period=PT0.3S: it must stay below half/);
  });

  it('leaves no server, state transfer or folder behind when its test process is killed in the middle of a state transfer', async () => {
    // The child empties node2 and starts it again, so that node1 sends it everything by rsync: the
    // transfer's processes (rsync daemon, donor script, rsync clients) are the reaper's too.
    const { child, baseDir } = await clusterInChild(
      'startGaleraCluster({ nodes: 2 })',
      `
        const { readdirSync, rmSync } = await import('node:fs');
        await cluster.stop('node2');
        const dir = cluster.node('node2').dataDir;
        for (const entry of readdirSync(dir)) rmSync(dir + '/' + entry, { recursive: true, force: true });
        cluster.start('node2').catch(() => {});
        setInterval(() => {}, 1000);
      `,
    );
    try {
      const rsyncIn = (dir: string) =>
        processesIn(dir).filter((pid) => readFileSafe(`/proc/${pid}/cmdline`).startsWith('rsync'));
      await eventually('a state transfer to run', () => rsyncIn(baseDir).length > 0, 30_000, 20);
      const pids = processesIn(baseDir);
      child.kill('SIGKILL');
      await eventually(
        'the servers, the transfer, the folder and the reaper to be gone',
        () =>
          pids.every((pid) => !isRunning(pid)) &&
          processesIn(baseDir).length === 0 &&
          !existsSync(baseDir) &&
          reapersOf(baseDir).length === 0,
        10_000,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
