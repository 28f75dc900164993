import { describe, expect, it } from 'vitest';
import { address } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

/**
 * `pool.health()` (docs/operations.md) through a failover on a real cluster: writable with the
 * primary named, then `no-primary` with a growing duration while nobody promotes, writable again
 * on the new primary, `all-nodes-down` when nothing answers, `ended` after `end()`.
 */
describe.each(oneFixturePerEngine())('pool.health() on %s', (_name, fixture) => {
  const started = endedAfterEach();

  it('follows a failover, all nodes down, and the end of the pool', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const pool = fixture.pool(cluster);
    // Ended by the test itself when it gets that far (pg.Pool refuses a second end()).
    started.ends(async () => {
      if (pool.health().reason !== 'ended') await pool.end();
    });
    await pool.query('SELECT 1');
    expect(pool.health()).toMatchObject({ writable: true, primary: address(cluster, 'node1'), waiting: 0 });

    cluster.kill('node1', 'SIGKILL');
    await eventually('no primary', () => pool.health().reason === 'no-primary');
    const first = pool.health().noPrimaryForMs as number;
    await eventually('the outage to grow', () => (pool.health().noPrimaryForMs as number) > first);
    expect(pool.health().message).toMatch(/^no primary: writes wait for a failover \(for \d+ ms\)$/);
    expect(pool.health().nodes.find((n) => n.node === address(cluster, 'node1'))?.healthy).toBe(false);

    await cluster.promote('node2');
    await eventually('writable on node2', () => pool.health().primary === address(cluster, 'node2'), 20_000);
    expect(pool.health().writable).toBe(true);
    expect(pool.health().noPrimaryForMs).toBeUndefined();

    cluster.kill('node2', 'SIGKILL');
    cluster.kill('node3', 'SIGKILL');
    await eventually('every node down', () => pool.health().reason === 'all-nodes-down', 20_000);
    await pool.end();
    expect(pool.health()).toMatchObject({ writable: false, primary: null, reason: 'ended' });
  });
});
