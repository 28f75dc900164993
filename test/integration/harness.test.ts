import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TestCluster } from '../../src/testing';
import { CATALOG_CHECKS } from './support/catalog-checks';
import type { EngineFixture } from './support/engine-fixture';
import { engineFixtures } from './support/fixtures';
import { clusterInChild, isRunning, processesIn, processState, reapersOf } from './support/processes';
import { endedAfterEach } from './support/resources';
import { waitForIds } from './support/rows';
import { eventually } from './support/wait';

/*
 * The test clusters of every engine: real servers, real signals, process facts read from /proc.
 * What only one engine's harness does is in harness-postgres.test.ts and harness-mariadb.test.ts.
 */

const started = endedAfterEach();

/** A cluster started in a child process is the child's: killing the child is the test's cleanup. */
function killedAfterTest(child: ChildProcess): void {
  started.ends(async () => child.kill('SIGKILL'));
}

describe.each(engineFixtures())('the test cluster of %s', (_name, fixture: EngineFixture) => {
  const catalog = CATALOG_CHECKS[fixture.engine];

  async function newCluster(): Promise<TestCluster> {
    const cluster = await fixture.start();
    started.cluster(cluster);
    await cluster.query(cluster.primary, 'CREATE TABLE notes (id INT PRIMARY KEY)', [], { as: 'app' });
    return cluster;
  }

  /** A note written by the app on the primary. */
  const note = (cluster: TestCluster, id: number) =>
    cluster.query(cluster.primary, `INSERT INTO notes VALUES (${id})`, [], { as: 'app' });

  /** The app cannot write on `node`: the engine's read-only rules refuse it. */
  const refusesAppWrites = (cluster: TestCluster, node: string) =>
    expect(cluster.query(node, 'INSERT INTO notes VALUES (-1)', [], { as: 'app' })).rejects.toThrow();

  it('a server that cannot start fails with its log lines, and leaves nothing behind', async () => {
    const failure = await fixture
      .start({ replicas: 1, serverSettings: catalog.unstartable.serverSettings })
      .then(
        (cluster) => {
          started.cluster(cluster);
          return new Error('started anyway');
        },
        (error: Error) => error,
      );
    expect(failure.message).toMatch(/node\d \(port \d+\) exited while starting/);
    expect(failure.message).toMatch(catalog.unstartable.says);
    const baseDir = /(\/\S+\/failover-pool-[a-z]+-[^/\s]+)\/node\d\.log/.exec(failure.message)?.[1];
    expect(baseDir).toBeDefined();
    expect(existsSync(baseDir ?? '/')).toBe(false);
    expect(processesIn(baseDir ?? '/')).toEqual([]);
  });

  it('SIGSTOP freezes every process of a node, SIGCONT resumes it, SIGKILL leaves none, start brings it back', async () => {
    const cluster = await newCluster();
    const node2 = cluster.node('node2');
    const before = processesIn(node2.dataDir);
    expect(before).toContain(node2.pid);

    cluster.kill('node2', 'SIGSTOP');
    expect(processesIn(node2.dataDir).map(processState)).toEqual(before.map(() => 'T'));
    await expect(
      cluster.query('node2', 'SELECT 1', [], { connectTimeoutMs: 1_000, timeoutMs: 1_000 }),
    ).rejects.toThrow();

    cluster.kill('node2', 'SIGCONT');
    expect(processesIn(node2.dataDir).map(processState)).not.toContain('T');
    expect(await cluster.query('node2', 'SELECT 1 AS one', [], { timeoutMs: 2_000 })).toEqual([{ one: 1 }]);

    const alive = processesIn(node2.dataDir);
    cluster.kill('node2', 'SIGKILL');
    await eventually('every process of node2 to die', () =>
      alive.every((pid) => !isRunning(pid)) && processesIn(node2.dataDir).length === 0 ? true : undefined,
    );
    await eventually('node2 to be marked stopped', () => node2.pid === undefined, 2_000);

    // The same data folder and port come back, as a replica of node1 again.
    await cluster.start('node2');
    expect(node2.pid).toBeTypeOf('number');
    await cluster.waitForReplication('node2', 15_000);
    await catalog.expectReplicating(cluster, 'node2', 'node1', 1);
    await refusesAppWrites(cluster, 'node2');
  });

  it('promote and repoint: node2 takes over after node1 is killed, node3 follows it', async () => {
    const cluster = await newCluster();
    await note(cluster, 1);
    await waitForIds(cluster, 'node2', 'notes', [1]);
    await waitForIds(cluster, 'node3', 'notes', [1]);

    const node1 = cluster.node('node1');
    cluster.kill('node1', 'SIGKILL');
    await eventually('node1 to die', () => processesIn(node1.dataDir).length === 0);

    await cluster.promote('node2');
    expect(cluster.primary).toBe('node2');
    await cluster.repoint('node3', 'node2');
    await cluster.waitForReplication('node3', 15_000);

    await note(cluster, 2);
    await waitForIds(cluster, 'node3', 'notes', [1, 2]);
    await catalog.expectPromoted(cluster);
  });

  it('switchover: the old primary comes back as a replica of the new one, and back again', async () => {
    const cluster = await newCluster();
    await note(cluster, 1);

    let started = performance.now();
    await cluster.switchover('node2');
    console.info(
      `[harness] ${fixture.name}: switchover node1 -> node2 in ${Math.round(performance.now() - started)} ms`,
    );
    expect(cluster.primary).toBe('node2');
    for (const replica of ['node1', 'node3']) {
      await catalog.expectReplicating(cluster, replica, 'node2', 2);
      await refusesAppWrites(cluster, replica);
    }
    await note(cluster, 2);
    await waitForIds(cluster, 'node1', 'notes', [1, 2]);
    await waitForIds(cluster, 'node3', 'notes', [1, 2]);

    started = performance.now();
    await cluster.switchover('node1');
    console.info(
      `[harness] ${fixture.name}: switchover node2 -> node1 in ${Math.round(performance.now() - started)} ms`,
    );
    expect(cluster.primary).toBe('node1');
    for (const replica of ['node2', 'node3']) await catalog.expectReplicating(cluster, replica, 'node1', 3);
    await note(cluster, 3);
    await waitForIds(cluster, 'node2', 'notes', [1, 2, 3]);
    await waitForIds(cluster, 'node3', 'notes', [1, 2, 3]);
  });

  it('destroy() kills every process, stopped ones too, and removes the folder', async () => {
    const cluster = await newCluster();
    const { baseDir } = cluster;
    const pids = processesIn(baseDir);
    for (const node of cluster.nodes) expect(pids).toContain(node.pid);
    expect(reapersOf(baseDir)).toHaveLength(1);
    cluster.kill('node1', 'SIGSTOP');
    cluster.kill('node3', 'SIGSTOP');

    await cluster.destroy();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(processesIn(baseDir)).toEqual([]);
    expect(existsSync(baseDir)).toBe(false);
    await cluster.destroy();
    // The reaper sees its state file gone and leaves on its next poll.
    await eventually('the reaper to exit', () => reapersOf(baseDir).length === 0, 3_000);
  });

  it('the reaper cleans up after a test process killed with SIGKILL', async () => {
    const { child, baseDir } = await clusterInChild(fixture.startCall, 'setInterval(() => {}, 1000);');
    killedAfterTest(child);
    const pids = processesIn(baseDir);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(reapersOf(baseDir)).toHaveLength(1);

    const killed = performance.now();
    child.kill('SIGKILL');
    await eventually(
      'the servers, the folder and the reaper to be gone',
      () =>
        pids.every((pid) => !isRunning(pid)) &&
        processesIn(baseDir).length === 0 &&
        !existsSync(baseDir) &&
        reapersOf(baseDir).length === 0,
      5_000,
    );
    console.info(
      `[harness] ${fixture.name}: reaper cleaned up ${Math.round(performance.now() - killed)} ms after SIGKILL`,
    );
  });

  it('the exit hook cleans up when a process ends without destroy()', async () => {
    // On a line from the test, the script freezes its own reaper and exits: only the exit hook can clean up.
    const { child, baseDir } = await clusterInChild(
      fixture.startCall,
      `
        const { readdirSync, readFileSync } = await import('node:fs');
        process.stdin.once('data', () => {
          for (const pid of readdirSync('/proc').filter((name) => /^\\d+$/.test(name))) {
            try {
              if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(cluster.baseDir + '/cleanup-state.json')) process.kill(Number(pid), 'SIGSTOP');
            } catch {}
          }
          process.exit(0);
        });
      `,
    );
    killedAfterTest(child);
    const pids = processesIn(baseDir);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    child.stdin?.write('exit\n');
    const reapers = await eventually('the frozen reaper', () => {
      const found = reapersOf(baseDir);
      return found.length > 0 && found.every((pid) => processState(pid) === 'T') ? found : undefined;
    });
    await eventually('the child to exit', () => child.exitCode !== null, 10_000);
    try {
      expect(pids.filter(isRunning)).toEqual([]);
      expect(processesIn(baseDir)).toEqual([]);
      expect(existsSync(baseDir)).toBe(false);
    } finally {
      for (const pid of reapers) process.kill(pid, 'SIGKILL');
    }
  });
});
