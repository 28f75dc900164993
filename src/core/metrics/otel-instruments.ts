import type { ReplicaReadOutcome } from '../reads/replica-reads';
import type { Topology } from '../topology';
import type { MeterProviderLike } from './meter-like';
import type { PoolMetrics } from './pool-metrics';

const METER_NAME = 'failover-pool';

/**
 * The pool's figures as OpenTelemetry instruments on `provider`'s meter `failover-pool`: counters
 * and the outage histogram are fed as things happen; the node gauges are read from the monitor's
 * last snapshot when the SDK collects. `pool` names this pool in every data point (`db.client.connection.pool.name`).
 */
export function attachInstruments(
  provider: MeterProviderLike,
  metrics: PoolMetrics,
  topology: () => Topology,
  pool: string,
): void {
  const meter = provider.getMeter(METER_NAME);
  const base = { 'db.client.connection.pool.name': pool };
  const changes = meter.createCounter('failover_pool.primary.changes', {
    description: 'Times writes moved to another primary',
  });
  const reruns = meter.createCounter('failover_pool.statement.reruns', {
    description: 'Statements the pool ran again because the first run certainly did not apply',
  });
  const unknown = meter.createCounter('failover_pool.write.outcome_unknown', {
    description: 'Writes whose connection died after they were sent (WriteOutcomeUnknownError)',
  });
  const outage = meter.createHistogram('failover_pool.write.outage', {
    description: 'Time writes had no primary, from losing one to having the next',
    unit: 's',
  });
  const replicaReads = meter.createCounter('failover_pool.replica_reads', {
    description:
      "Reads marked readFrom: 'replica' that answered, by served_by (replica or primary) and, on the primary, reason",
  });
  metrics.onChange((change) => {
    if (change.kind === 'primary-change') changes.add(1, base);
    else if (change.kind === 'rerun') reruns.add(1, { ...base, reason: change.reason });
    else if (change.kind === 'outcome-unknown') unknown.add(1, base);
    else if (change.kind === 'replica-read') replicaReads.add(1, readAttributes(change.outcome, base));
    else outage.record(change.seconds, base);
  });
  meter
    .createObservableGauge('failover_pool.node.up', {
      description: '1 while the node answers its probes, 0 while it does not',
    })
    .addCallback((result) => {
      for (const node of topology().nodes) {
        result.observe(node.healthy ? 1 : 0, { ...base, node: node.name, role: node.role });
      }
    });
  meter
    .createObservableGauge('failover_pool.node.lag', {
      description:
        "How stale a replica's data is: the age of the last transaction it applied, 0 once it applied all it received (PostgreSQL); Seconds_Behind_Source in whole seconds, or the heartbeat row's age with reads.heartbeat (MySQL/MariaDB)",
      unit: 's',
    })
    .addCallback((result) => {
      for (const node of topology().nodes) {
        if (node.lagMs !== undefined) result.observe(node.lagMs / 1000, { ...base, node: node.name });
      }
    });
  meter
    .createObservableUpDownCounter('db.client.connection.count', {
      description: 'Connections open to each node, by state (idle or used)',
      unit: '{connection}',
    })
    .addCallback((result) => {
      for (const { node, idle, used } of metrics.connections()) {
        result.observe(idle, { ...base, node, 'db.client.connection.state': 'idle' });
        result.observe(used, { ...base, node, 'db.client.connection.state': 'used' });
      }
    });
  meter
    .createObservableGauge('failover_pool.node.lag_bytes', {
      description: 'Bytes of the primary a replica has not received or applied (PostgreSQL LSN distance)',
      unit: 'By',
    })
    .addCallback((result) => {
      for (const node of topology().nodes) {
        if (node.lagBytes !== undefined) result.observe(node.lagBytes, { ...base, node: node.name });
      }
    });
}

/** A replica read's data point: `served_by: replica`, or `served_by: primary` with the reason. */
function readAttributes(outcome: ReplicaReadOutcome, base: Record<string, string>): Record<string, string> {
  return outcome === 'replica'
    ? { ...base, served_by: 'replica' }
    : { ...base, served_by: 'primary', reason: outcome };
}
