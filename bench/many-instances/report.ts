import { max, median, percentile } from '../lib/stats';
import { formatMs, textTable } from '../lib/table';
import type { Storm } from './storm';

/** One node's counts over the rest phase. */
export interface RestRow {
  readonly node: string;
  readonly role: string;
  readonly probes: number;
  readonly statements: number;
  readonly seconds: number;
}

const rate = (n: number, per: number) => (n / per).toFixed(2);

export function restTable(rows: readonly RestRow[], instances: number): string {
  return textTable(
    ['node', 'role', 'probes/s', 'per instance', 'statements/s', 'per instance'],
    rows.map((r) => [
      r.node,
      r.role,
      rate(r.probes, r.seconds),
      rate(r.probes, r.seconds * instances),
      rate(r.statements, r.seconds),
      rate(r.statements, r.seconds * instances),
    ]),
  );
}

/** Per-instance outages (null: never recovered, undefined: no answer). */
export function outageSummary(outages: readonly (number | null | undefined)[]): string {
  const measured = outages.filter((o): o is number => typeof o === 'number');
  const never = outages.filter((o) => o === null).length;
  const silent = outages.filter((o) => o === undefined).length;
  return (
    `median ${formatMs(median(measured))}, 90th percentile ${formatMs(percentile(measured, 90))}, ` +
    `max ${formatMs(max(measured))} over ${measured.length} instances` +
    (never ? `; ${never} never recovered` : '') +
    (silent ? `; ${silent} did not answer` : '')
  );
}

export function stormTable(storm: Storm, instances: number): string {
  return textTable(
    ['instances', 'new connections', 'peak per 1 s', 'peak per 100 ms', 'first', 'half', '90 %', 'last'],
    [
      [
        String(instances),
        String(storm.total),
        String(storm.peakPerSecond),
        String(storm.peakPer100Ms),
        ...[storm.firstMs, storm.medianMs, storm.p90Ms, storm.lastMs].map((ms) => `+${formatMs(ms)}`),
      ],
    ],
  );
}

/**
 * What `target` instances would do, from what `instances` did: the probe load scales with the count
 * (each instance probes each node on its own); the connection storm is at most as spread out as the
 * monitors' fast probing (so a burst), and takes as long as the server needs to accept it; the
 * assumptions are printed with the figures.
 */
export function projection(
  target: number,
  instances: number,
  rest: readonly RestRow[],
  storm: Storm,
): string[] {
  const perInstance = (pick: (r: RestRow) => number) =>
    Math.max(...rest.map((r) => pick(r) / r.seconds / instances));
  const probes = perInstance((r) => r.probes);
  const statements = perInstance((r) => r.statements);
  const scale = target / instances;
  // The arrivals' own spread (first to last), not counted from the promotion's start: the node takes
  // writes only some way into the promotion, and that delay does not grow with the instances.
  const spreadMs = Math.max(storm.lastMs - storm.firstMs, 1);
  const total = Math.round(storm.total * scale);
  const rate = (storm.total * 1000) / spreadMs;
  return [
    `Probe load: ${probes.toFixed(2)} probes (${statements.toFixed(2)} statements) per second per instance on the ` +
      `busiest node, measured; x ${target} = about ${Math.round(probes * target)} probes ` +
      `(${Math.round(statements * target)} statements) per second on every node, replicas included, whether ` +
      'the app writes or not. Assumes: monitor.intervalMs 1000 (the default) with its +-10 % jitter, so ' +
      'the load is steady, not in bursts; no failure under way (then the pools probe every 50 ms: x20 for ~3 s).',
    `Connections held: ${target} monitor connections on every node, plus on the primary one pool connection ` +
      `per writing instance (up to its pool max, 10 by default): ${target * 2} to ${target * 11} on the ` +
      "primary, against PostgreSQL's default max_connections of 100 and MariaDB's 151.",
    `Connection storm: at ${instances} instances the new primary got ${storm.total} new connections, the ` +
      `first ${formatMs(storm.firstMs)} after the promotion started, all within ${formatMs(spreadMs)} of the ` +
      `first (${Math.round(rate)} per second; peak ${storm.peakPer100Ms} in 100 ms). At ${target}: about ` +
      `${total} connections. Bound by the jitter: each instance reconnects when its own monitor finds the new ` +
      'primary, probing every 50 ms +-10 % while a failure is suspected, so nothing spreads them beyond ' +
      `about 55 ms: a burst of up to ${total} in ~55 ms (~${Math.round((total * 1000) / 55)} per second). ` +
      `Taken at the rate measured here, the server needs ~${formatMs((total * 1000) / rate)} to absorb them. ` +
      'Assumes: one statement in flight per instance, as here (more concurrent statements open up to the ' +
      "pool's max, 10 by default, each); the measured rate is this machine's (the instances and the servers " +
      'share its CPU; a PostgreSQL connection forks a backend and runs SCRAM authentication, a few ms of CPU).',
  ];
}
