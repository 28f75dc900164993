import { describe, expect, it } from 'vitest';
import { attachInstruments } from '../../src/core/metrics/otel-instruments';
import { PoolMetrics } from '../../src/core/metrics/pool-metrics';
import type { Topology } from '../../src/core/topology';
import { testMeterProvider } from './support/metric-reader';
import { nodeView } from './support/node-view';

const topology: Topology = {
  version: 3,
  generation: 2,
  primary: 'db2:5432',
  nodes: [
    nodeView('db1:5432', { role: 'unknown', healthy: false }),
    nodeView('db2:5432', { role: 'primary', writable: true }),
    nodeView('db3:5432', { lagBytes: 2048, lagMs: 3000, replication: { receiving: true, lagSeconds: 3 } }),
  ],
};

/** The pool has connections to the primary alone: five open, two of them checked out. */
const usage = () => [{ node: 'db2:5432', usage: { open: 5, used: 2 } }];

/** A failover as the pool tells it: the primary lost, re-runs, the new one 750 ms later. */
function failover(metrics: PoolMetrics) {
  metrics.observe('primaryChanged', { from: null, to: 'db1:5432', generation: 1 } as never); // found at start
  metrics.observe('primaryLost', { from: 'db1:5432' } as never);
  metrics.observe('retry', { reason: 'connection-lost' } as never);
  metrics.observe('retry', { reason: 'connection-lost' } as never);
  metrics.observe('transactionRetry', { reason: 'commit-not-applied' } as never);
  metrics.outage(0.75);
  metrics.observe('primaryChanged', { from: 'db1:5432', to: 'db2:5432', generation: 2 } as never);
  metrics.outcomeUnknownCounted();
  // Replica reads: two on replicas, one on the primary after its causal wait ran out.
  metrics.replicaRead('replica');
  metrics.replicaRead('causal-wait');
  metrics.replicaRead('replica');
}

describe('pool.metrics() and the OpenTelemetry instruments', () => {
  it('count primary changes, re-runs by reason, unknown outcomes and outages, and show the nodes', async () => {
    const metrics = new PoolMetrics(() => 1, usage);
    failover(metrics);
    expect(metrics.snapshot(topology)).toEqual({
      primaryChanges: 1,
      statementReruns: { 'connection-lost': 2, 'commit-not-applied': 1 },
      writeOutcomeUnknown: 1,
      writeOutages: { count: 1, lastSeconds: 0.75, maxSeconds: 0.75 },
      nodes: [
        { node: 'db1:5432', role: 'unknown', up: false },
        { node: 'db2:5432', role: 'primary', up: true },
        { node: 'db3:5432', role: 'replica', up: true, lagBytes: 2048, lagSeconds: 3 },
      ],
      connections: [{ node: 'db2:5432', idle: 3, used: 2 }],
      replicaReads: { replica: 2, primary: { 'no-replica': 0, 'replicas-failed': 0, 'causal-wait': 1 } },
    });
  });

  it('report the same through a real OpenTelemetry SDK', async () => {
    const metrics = new PoolMetrics(() => 1, usage);
    const { provider, collect } = testMeterProvider();
    attachInstruments(provider, metrics, () => topology, 'shop');
    failover(metrics);
    const found = await collect();
    const pool = { 'db.client.connection.pool.name': 'shop' };
    expect(found.get('failover_pool.primary.changes')).toEqual([{ attributes: pool, value: 1 }]);
    expect(found.get('failover_pool.statement.reruns')).toEqual([
      { attributes: { ...pool, reason: 'connection-lost' }, value: 2 },
      { attributes: { ...pool, reason: 'commit-not-applied' }, value: 1 },
    ]);
    expect(found.get('failover_pool.write.outcome_unknown')).toEqual([{ attributes: pool, value: 1 }]);
    expect(found.get('failover_pool.write.outage')).toEqual([{ attributes: pool, value: 1 }]);
    expect(
      found.get('failover_pool.node.up')?.map((p) => [p.attributes.node, p.attributes.role, p.value]),
    ).toEqual([
      ['db1:5432', 'unknown', 0],
      ['db2:5432', 'primary', 1],
      ['db3:5432', 'replica', 1],
    ]);
    expect(found.get('failover_pool.node.lag')).toEqual([
      { attributes: { ...pool, node: 'db3:5432' }, value: 3 },
    ]);
    expect(found.get('db.client.connection.count')).toEqual([
      { attributes: { ...pool, node: 'db2:5432', 'db.client.connection.state': 'idle' }, value: 3 },
      { attributes: { ...pool, node: 'db2:5432', 'db.client.connection.state': 'used' }, value: 2 },
    ]);
    expect(found.get('failover_pool.replica_reads')).toEqual([
      { attributes: { ...pool, served_by: 'replica' }, value: 2 },
      { attributes: { ...pool, served_by: 'primary', reason: 'causal-wait' }, value: 1 },
    ]);
    expect(found.get('failover_pool.node.lag_bytes')).toEqual([
      { attributes: { ...pool, node: 'db3:5432' }, value: 2048 },
    ]);
  });
});
