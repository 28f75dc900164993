import { metrics as otelMetrics } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { testMeterProvider } from '../unit/support/metric-reader';
import { address } from './support/engine-fixture';
import { failOverAfter } from './support/fail-over';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

/**
 * OpenTelemetry metrics (docs/operations.md) from a pool on a real cluster through kill -9 and a
 * promotion, read through the OpenTelemetry SDK as an app sets it up: given as
 * `metrics.meterProvider`, and found by itself when the SDK is registered globally.
 */
describe.each(oneFixturePerEngine())('metrics on %s', (_name, fixture) => {
  const started = endedAfterEach();

  it('count the failover and show the nodes, through the SDK and pool.metrics()', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const { provider, collect } = testMeterProvider();
    const pool = started.pool(
      fixture.pool(cluster, { metrics: { meterProvider: provider, poolName: 'shop' } }),
    );
    await pool.query('SELECT 1');
    cluster.kill('node1', 'SIGKILL');
    const { next } = await failOverAfter(cluster, 300);
    await eventually('the new primary', () => pool.topology().primary === address(cluster, next), 20_000);

    const found = await collect();
    const shop = { 'db.client.connection.pool.name': 'shop' };
    expect(found.get('failover_pool.primary.changes')).toEqual([{ attributes: shop, value: 1 }]);
    expect(found.get('failover_pool.write.outage')).toEqual([{ attributes: shop, value: 1 }]);
    const up = new Map(found.get('failover_pool.node.up')?.map((p) => [p.attributes.node, p.value]));
    expect(up.get(address(cluster, 'node1'))).toBe(0);
    expect(up.get(address(cluster, next))).toBe(1);
    // Connections per node and state: none left to the dead node, an idle one to the new primary.
    await pool.query('SELECT 1');
    const connections = (await collect()).get('db.client.connection.count') ?? [];
    const count = (node: string, state: string) =>
      connections
        .filter((p) => p.attributes.node === node && p.attributes['db.client.connection.state'] === state)
        .reduce((sum, p) => sum + p.value, 0);
    expect(count(address(cluster, 'node1'), 'idle') + count(address(cluster, 'node1'), 'used')).toBe(0);
    expect(count(address(cluster, next), 'idle')).toBeGreaterThanOrEqual(1);
    expect(count(address(cluster, next), 'used')).toBe(0);
    const figures = pool.metrics();
    expect(figures.connections.find((c) => c.node === address(cluster, next))?.idle).toBeGreaterThanOrEqual(
      1,
    );
    expect(figures.primaryChanges).toBe(1);
    expect(figures.writeOutages.count).toBe(1);
    expect(figures.writeOutages.lastSeconds).toBeGreaterThan(0);
  });

  it('finds an SDK registered globally, with no option', async () => {
    const cluster = started.cluster(await fixture.start());
    const { provider, collect } = testMeterProvider();
    otelMetrics.setGlobalMeterProvider(provider);
    try {
      const pool = started.pool(fixture.pool(cluster));
      await pool.query('SELECT 1');
      const found = await collect();
      const up = found.get('failover_pool.node.up') ?? [];
      expect(up.filter((p) => p.value === 1)).toHaveLength(3);
      // Both replicas report how stale they are, in seconds (0 or a little more while caught up).
      const lag = found.get('failover_pool.node.lag') ?? [];
      expect(lag.map((p) => p.attributes.node).sort()).toEqual(
        [address(cluster, 'node2'), address(cluster, 'node3')].sort(),
      );
      for (const point of lag) expect(point.value).toBeLessThan(5);
    } finally {
      otelMetrics.disable();
    }
  });
});
