import { describe, expect, it } from 'vitest';
import type { TestCluster } from '../../src/testing';
import { address, type EngineFixture } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

const LOCK = 'failover-pool:heartbeat:failover_pool_heartbeat';
/** The session that holds the heartbeat's lock on `node` (null: nobody writes there). */
const HOLDER = `SELECT IS_USED_LOCK('${LOCK}') AS holder`;

/**
 * `reads.heartbeat` on a real MariaDB cluster with asynchronous replicas: staleness measured to the
 * millisecond (Seconds_Behind_Master counts whole seconds, and is NULL while the applier is
 * stopped), a replica held back for under a second skipped by a sub-second bound, one writer for
 * several pools, taken over when its pool ends, and carried to the new primary after a switchover.
 */
const mariadb = oneFixturePerEngine().filter(([, fixture]) => fixture.engine === 'mariadb');

describe.each(mariadb)('reads.heartbeat on %s', (_name, fixture) => {
  const started = endedAfterEach();
  const reads = { maxLagMs: 300, heartbeat: true };
  const lagOf = (pool: ReturnType<EngineFixture['pool']>, node: string) =>
    pool.health().nodes.find((n) => n.node === address(startedCluster, node))?.lagMs;
  let startedCluster: TestCluster;

  async function holderOn(cluster: TestCluster, node: string): Promise<number | null> {
    const [row] = await cluster.query<{ holder: number | null }>(node, HOLDER);
    return row?.holder === null || row?.holder === undefined ? null : Number(row.holder);
  }

  it('measures replicas to the millisecond and skips one held back for less than a second', async () => {
    const cluster = started.cluster(await fixture.start());
    startedCluster = cluster;
    const pool = started.pool(fixture.pool(cluster, { reads }));
    // Caught up, each replica is measured within a beat or two: whole seconds would read 0 or 1000.
    const seen: number[] = [];
    await eventually(
      'both replicas measured in milliseconds',
      () => {
        for (const node of ['node2', 'node3']) {
          const lag = lagOf(pool, node);
          if (lag !== undefined) seen.push(lag);
        }
        return seen.filter((lag) => lag > 0 && lag < 1_000).length >= 4;
      },
      20_000,
    );
    expect(Math.max(...seen.slice(-4))).toBeLessThan(1_000);

    // node3 stops applying for a moment: its measure grows from there, while Seconds_Behind_Master
    // says nothing (NULL) and would make it unknown, not late.
    await cluster.query('node3', 'STOP SLAVE SQL_THREAD');
    try {
      await eventually(
        'node3 measured behind the bound, node2 within it',
        () => (lagOf(pool, 'node3') ?? 0) > 400 && (lagOf(pool, 'node2') ?? Infinity) <= 300,
        10_000,
      );
      const heldBack = lagOf(pool, 'node3') as number;
      const ports = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const rows = await pool.read('SELECT @@port AS port');
        ports.add(Number(rows[0]?.port));
      }
      // Every read went to node2: node3 is skipped while it is behind by less than a second or so.
      expect([...ports]).toEqual([Number(address(cluster, 'node2').split(':')[1])]);
      expect(heldBack).toBeLessThan(5_000);
    } finally {
      await cluster.query('node3', 'START SLAVE SQL_THREAD');
    }
    await eventually('node3 caught up again', () => (lagOf(pool, 'node3') ?? Infinity) <= 300, 10_000);
  });

  it('one pool writes the beat at a time; another takes over when it ends, and after a switchover on the new primary', async () => {
    const cluster = started.cluster(await fixture.start());
    startedCluster = cluster;
    // Ended by hand below; ending it again after the test is harmless.
    const first = started.pool(fixture.pool(cluster, { reads }));
    await eventually(
      'the first pool holds the lock',
      async () => (await holderOn(cluster, 'node1')) !== null,
      10_000,
    );
    const holder = await holderOn(cluster, 'node1');
    const second = started.pool(fixture.pool(cluster, { reads }));
    // The second pool tries for the lock and loses: the holder stays the first one's session.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await holderOn(cluster, 'node1')).toBe(holder);

    await first.end();
    await eventually(
      'the second pool took over',
      async () => {
        const now = await holderOn(cluster, 'node1');
        return now !== null && now !== holder;
      },
      15_000,
    );
    await eventually('replicas fresh again', () => (lagOf(second, 'node2') ?? Infinity) <= 300, 10_000);

    await cluster.switchover('node2');
    await eventually(
      'the beat written on the new primary',
      async () => (await holderOn(cluster, 'node2')) !== null,
      20_000,
    );
    await eventually(
      'node1, now a replica, measured fresh',
      () =>
        second
          .health()
          .nodes.some(
            (n) =>
              n.node === address(cluster, 'node1') && n.role === 'replica' && (n.lagMs ?? Infinity) <= 300,
          ),
      20_000,
    );
  });
});
