import { describe, expect, it } from 'vitest';
import type { FailoverEvents, PromotedEvent, PromotionSkippedEvent } from '../../src/core/events';
import type { PromotionOptions } from '../../src/core/promotion/options';
import type { TestCluster } from '../../src/testing';
import { type AppPool, address } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually, sleep } from './support/wait';
import { startWrites } from './support/write-workload';

/**
 * Promotion by the library (docs/promotion.md), with nobody else repairing the cluster: three app
 * instances (three pools, each with its own monitor and promoter) on one cluster, the primary
 * killed. Exactly one instance promotes, the other replica follows the new primary, and the writes
 * resume with none acknowledged lost (synchronous replication); the old primary, started again, is
 * fenced (read-only for every client). A primary cut off from the apps
 * alone, while the replicas still stream from it, is never replaced.
 */

const INSTANCES = 3;

/** Every event of one kind from every instance, in order. */
function collect<K extends keyof FailoverEvents>(pools: readonly AppPool[], event: K) {
  const seen: FailoverEvents[K][0][] = [];
  for (const pool of pools) pool.on(event, ((payload: FailoverEvents[K][0]) => seen.push(payload)) as never);
  return seen;
}

describe.each(oneFixturePerEngine())('promotion by the library on %s', (_name, fixture) => {
  const started = endedAfterEach();

  const instances = async (cluster: TestCluster, promotion: PromotionOptions = {}): Promise<AppPool[]> => {
    const { user, password } = await cluster.createPromotionAccount();
    return Array.from({ length: INSTANCES }, () =>
      started.pool(fixture.pool(cluster, { promotion: { enabled: true, user, password, ...promotion } })),
    );
  };

  it('kill -9 of the primary: exactly one instance promotes, the other replica follows, no write is lost', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true, replication: 'sync' }));
    const pools = await instances(cluster);
    const promoted = collect(pools, 'promoted');
    const skipped = collect(pools, 'promotionSkipped');
    await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
    const stream = startWrites({ query: (text, values) => pools[0]!.query(fixture.sql(text), values) });
    await sleep(300);

    cluster.kill('node1', 'SIGKILL');
    const node1 = address(cluster, 'node1');
    await eventually(
      'a new primary in every instance',
      () => pools.every((pool) => ![null, node1].includes(pool.topology().primary)),
      20_000,
    );
    await sleep(500);
    await stream.stop();

    expect(promoted, JSON.stringify(skipped)).toHaveLength(1);
    const event = promoted[0] as PromotedEvent;
    const winner = cluster.nodes.find((n) => address(cluster, n.name) === event.node)?.name as string;
    expect(['node2', 'node3']).toContain(winner);
    expect(event.from).toBe(node1);
    expect(event.notRepointed).toEqual([]);
    for (const pool of pools) expect(pool.topology().primary).toBe(event.node);
    // The other replica streams from the new primary.
    const other = winner === 'node2' ? 'node3' : 'node2';
    await cluster.waitForReplication(other, 20_000, winner);
    const result = stream.history.check(await fixture.idsOn(cluster, winner));
    console.log(
      `[${fixture.name}] promotion by the library: ${JSON.stringify({ winner, tookMs: event.tookMs, ...result.counts })}`,
    );
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);

    // The old primary comes back, writable and behind: it is fenced, and nothing goes to it.
    const fenced = collect(pools, 'fenced');
    await cluster.start('node1');
    await eventually('node1 to be fenced', () => fenced.some((e) => e.node === node1), 20_000);
    await expect(
      cluster.query('node1', fixture.sql('INSERT INTO writes VALUES ($1)'), [-1], { as: 'app' }),
    ).rejects.toThrow(/read.only/i);
    for (const pool of pools) expect(pool.topology().primary).toBe(event.node);
  });

  it('points the replicas at the replication address of the new primary, not at the address the apps use', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true, proxies: true }));
    // The apps reach each node through its proxy; the replicas reach it directly.
    const replicationHosts = Object.fromEntries(
      cluster.nodes.map((node, i) => [
        cluster.connectionOptions.hosts[i] as string,
        address(cluster, node.name),
      ]),
    );
    const pools = await instances(cluster, { replicationHosts });
    const promoted = collect(pools, 'promoted');
    await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
    cluster.kill('node1', 'SIGKILL');
    await eventually('a promotion', () => promoted.length > 0, 20_000);
    const winner = cluster.nodes[cluster.connectionOptions.hosts.indexOf(promoted[0]!.node)]!.name;
    const other = winner === 'node2' ? 'node3' : 'node2';
    // Streaming from the new primary's own port, not from its proxy's.
    await cluster.waitForReplication(other, 20_000, winner);
  });

  it('finishes a promotion left half done: a replica still pointed at the dead primary is repointed', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    // Instances that would not promote themselves for ten minutes: someone else promotes here.
    const pools = await instances(cluster, { detectAfterMs: 600_000 });
    const repointed = collect(pools, 'repointed');
    await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
    cluster.kill('node1', 'SIGKILL');
    // A promoter that died after promoting node2 and before repointing node3.
    await cluster.promote('node2');
    await eventually(
      'node3 repointed',
      () => repointed.some((e) => e.to === address(cluster, 'node2')),
      30_000,
    );
    expect(repointed.map((e) => e.node)).toContain(address(cluster, 'node3'));
    await cluster.waitForReplication('node3', 30_000, 'node2');
    await pools[0]!.query(fixture.sql('INSERT INTO writes VALUES ($1)'), [7]);
    await eventually('node3 to apply a write on node2', async () =>
      (await fixture.idsOn(cluster, 'node3')).includes('7'),
    );
  });

  it('never promotes while the replicas still stream from a primary the apps alone cannot reach', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true, proxies: true }));
    const pools = await instances(cluster);
    const promoted = collect(pools, 'promoted');
    const skipped = collect(pools, 'promotionSkipped');
    await Promise.all(pools.map((pool) => pool.query('SELECT 1')));

    // Only the apps go through the proxies: the replicas keep streaming from node1.
    const partition = cluster.proxy('node1').blackhole();
    await eventually(
      'the instances to lose node1',
      () => pools.every((pool) => pool.topology().primary === null),
      20_000,
    );
    await sleep(3_000); // six times promotion.detectAfterMs
    expect(promoted).toEqual([]);
    expect(skipped.map((e: PromotionSkippedEvent) => e.reason)).toContain('replicas-still-receiving');
    await partition.off();
    await eventually(
      'node1 back as the primary',
      // The pools name node1 by its proxy's address.
      () => pools.every((pool) => pool.topology().primary === cluster.connectionOptions.hosts[0]),
      20_000,
    );
  });
});
