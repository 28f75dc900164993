import type { Collected } from '../../test/unit/support/metric-reader';

/** What the instruments said at one moment of the run, ms from the start. */
export interface Sample {
  readonly atMs: number;
  /** `failover_pool.node.up` by node name (node1...). */
  readonly up: Readonly<Record<string, number>>;
  /** Cumulative counters. */
  readonly primaryChanges: number;
  readonly reruns: number;
  readonly outcomeUnknown: number;
  /** Writes acknowledged since the previous sample. */
  readonly acked: number;
}

const total = (found: Collected, name: string) =>
  (found.get(name) ?? []).reduce((sum, point) => sum + point.value, 0);

/** One sample from a collection of the OpenTelemetry SDK; `nameOf` turns `host:port` into node1... */
export function sampleOf(
  found: Collected,
  atMs: number,
  acked: number,
  nameOf: (address: string) => string,
): Sample {
  const up: Record<string, number> = {};
  for (const point of found.get('failover_pool.node.up') ?? [])
    up[nameOf(String(point.attributes.node))] = point.value;
  return {
    atMs,
    up,
    primaryChanges: total(found, 'failover_pool.primary.changes'),
    reruns: total(found, 'failover_pool.statement.reruns'),
    outcomeUnknown: total(found, 'failover_pool.write.outcome_unknown'),
    acked,
  };
}
