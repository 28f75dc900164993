import { describe, expect, it } from 'vitest';
import type { WritesLostEvent } from '../../src/core/loss/writes-lost';
import type { TestCluster } from '../../src/testing';
import { address, type PoolTopologyView } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually, sleep } from './support/wait';

/**
 * `writesLost` (docs/reads.md) on a real cluster with asynchronous replication: it fires when the
 * replica promoted after a kill -9 lacks writes the old primary had acknowledged (a replica held
 * back on purpose), with the time window of those writes; and it stays silent when the promoted
 * replica had everything.
 */
describe.each(oneFixturePerEngine())('writesLost on %s', (_name, fixture) => {
  const started = endedAfterEach();
  const insert = fixture.sql('INSERT INTO writes (id) VALUES ($1)');

  /** Stops `node` receiving from the primary, as a replica cut off or far behind would be. */
  async function holdBack(cluster: TestCluster, node: string): Promise<void> {
    if (fixture.engine === 'postgresql') {
      await cluster.query(node, "ALTER SYSTEM SET primary_conninfo = ''");
      await cluster.query(node, 'SELECT pg_reload_conf()');
    } else {
      await cluster.query(node, 'STOP SLAVE IO_THREAD');
    }
  }

  async function startWithPool(monitor?: { intervalMs: number }) {
    const cluster = started.cluster(await fixture.start({ writesTable: true, replication: 'async' }));
    const pool = started.pool(fixture.pool(cluster, monitor && { monitor }));
    const lost: WritesLostEvent[] = [];
    pool.on('writesLost', (event) => lost.push(event));
    await pool.query(insert, [1]);
    await cluster.waitForReplication('node2', 15_000);
    return { cluster, pool, lost };
  }

  /** The primary's position as the pool's monitor last saw it. */
  function primaryPosition(pool: ReturnType<typeof fixture.pool>): string | undefined {
    const topology: PoolTopologyView = pool.topology();
    return topology.nodes.find((n) => n.name === topology.primary)?.position;
  }

  /** kill -9 of node1, node2 promoted 300 ms later, and the pool writing there. */
  async function failOverTo2(cluster: TestCluster, pool: ReturnType<typeof fixture.pool>) {
    cluster.kill('node1', 'SIGKILL');
    await sleep(300);
    await cluster.promote('node2');
    await eventually(
      'the pool follows node2',
      () => pool.topology().primary === address(cluster, 'node2'),
      20_000,
    );
    await pool.query(insert, [1_000]);
  }

  it('fires when the promoted replica lacks acknowledged writes, with their time window', async () => {
    const { cluster, pool, lost } = await startWithPool();
    await holdBack(cluster, 'node2');
    const firstLost = Date.now();
    for (let id = 2; id <= 6; id++) {
      await pool.query(insert, [id]);
      await sleep(100);
    }
    const lastLost = Date.now();
    // The monitor probes the primary once more after the last write (every second).
    await sleep(1_500);
    await failOverTo2(cluster, pool);
    await eventually('writesLost', () => lost.length > 0, 5_000);
    expect(lost).toHaveLength(1);
    const [event] = lost as [WritesLostEvent];
    expect(event.from).toBe(address(cluster, 'node1'));
    expect(event.to).toBe(address(cluster, 'node2'));
    expect(event.fromToken).toBe(false);
    // The writes 2..6 were made inside the window; it starts at most a probe interval before them.
    expect(event.since.getTime()).toBeLessThanOrEqual(firstLost + 20);
    expect(event.since.getTime()).toBeGreaterThan(firstLost - 2_500);
    expect(event.until.getTime()).toBeGreaterThanOrEqual(lastLost - 20);
    expect(event.windowMs).toBe(event.until.getTime() - event.since.getTime());
    // And they are missing for real.
    expect((await fixture.idsOn(cluster, 'node2')).sort()).toEqual(['1', '1000']);
  });

  it('a causal token this pool handed out shows writes the probes had not seen', async () => {
    // Probes every 10 s at rest: the write and the kill fall between two of them.
    const { cluster, pool, lost } = await startWithPool({ intervalMs: 10_000 });
    await sleep(3_500); // past the fast probing after the start (monitor.settleMs)
    await holdBack(cluster, 'node2');
    const seenBefore = primaryPosition(pool);
    await pool.query(insert, [2]);
    const token = await pool.causalToken();
    const seenAtKill = primaryPosition(pool);
    await failOverTo2(cluster, pool);
    expect(token).toMatch(/^fp1\./);
    await eventually('writesLost', () => lost.length > 0, 5_000);
    // Unless a probe happened to fall in the few ms between the write and the kill, only the token knew.
    if (seenAtKill === seenBefore) expect(lost[0]?.fromToken).toBe(true);
    expect((await fixture.idsOn(cluster, 'node2')).sort()).toEqual(['1', '1000']);
  });

  it('stays silent when the promoted replica had every write', async () => {
    const { cluster, pool, lost } = await startWithPool();
    for (let id = 2; id <= 6; id++) await pool.query(insert, [id]);
    await cluster.waitForReplication('node2', 15_000);
    await sleep(1_500);
    await failOverTo2(cluster, pool);
    // Long enough for the event to have fired after the change of primary (it fires with it).
    await sleep(2_000);
    expect(lost).toEqual([]);
    expect((await fixture.idsOn(cluster, 'node2')).length).toBe(7);
  });
});
