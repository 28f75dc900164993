import { max, median } from '../lib/stats';
import { formatMs, textTable } from '../lib/table';
import type { FailoverKind, FailoverOutcome } from './failovers';
import type { ProcessSample } from './process-stats';

/** The client process, the writes and their errors, measured at start and every N failovers. */
export interface Checkpoint {
  readonly failovers: number;
  readonly elapsedMs: number;
  readonly acked: number;
  /** Acknowledged ids missing on the primary of the moment (undefined: it could not be read). */
  readonly lost: number | undefined;
  /** Since the previous checkpoint. */
  readonly errors: ReadonlyMap<string, number>;
  readonly maxGapMs: number;
  readonly sample: ProcessSample;
}

const MiB = 1024 ** 2;
const counts = (map: ReadonlyMap<string, number>) =>
  [...map].map(([code, n]) => `${code} ${n}`).join(', ') || '-';

export function checkpointTable(rows: readonly Checkpoint[]): string {
  return textTable(
    [
      'failovers',
      'min',
      'acked',
      'lost',
      'errors since previous',
      'longest gap',
      'fds',
      'sockets',
      'listeners',
      'listener warnings',
      'handles',
      'timers',
      'heap MiB',
    ],
    rows.map((c) => [
      String(c.failovers),
      (c.elapsedMs / 60_000).toFixed(1),
      String(c.acked),
      c.lost === undefined ? 'n/a' : String(c.lost),
      counts(c.errors),
      c.failovers === 0 ? '-' : formatMs(c.maxGapMs),
      String(c.sample.fds),
      String(c.sample.sockets),
      String(c.sample.listeners),
      String(c.sample.listenerWarnings),
      String(c.sample.resources),
      String(c.sample.resourcesByKind.Timeout ?? 0),
      (c.sample.heapUsedBytes / MiB).toFixed(2),
    ]),
  );
}

interface Watched {
  readonly name: string;
  readonly of: (s: ProcessSample) => number;
  /** What may come and go without a leak: the pool opens and closes connections with the load. */
  readonly slack: number;
  readonly unit?: 'MiB';
  /** Compare with the first checkpoint after start (code compiled for the first failovers is no leak). */
  readonly afterWarmup?: boolean;
}

const WATCHED: readonly Watched[] = [
  { name: 'file descriptors', of: (s) => s.fds, slack: 4 },
  { name: 'sockets', of: (s) => s.sockets, slack: 4 },
  { name: 'listeners on the pool', of: (s) => s.listeners, slack: 0 },
  { name: 'MaxListenersExceededWarning', of: (s) => s.listenerWarnings, slack: 0 },
  { name: 'active handles (getActiveResourcesInfo)', of: (s) => s.resources, slack: 4 },
  { name: 'heap used after GC', of: (s) => s.heapUsedBytes, slack: MiB, unit: 'MiB', afterWarmup: true },
];

/** One line per watched figure: where it started, where it ended, its peak, and whether it is flat. */
export function flatnessLines(rows: readonly Checkpoint[]): string[] {
  return WATCHED.map((w) => {
    const from = w.afterWarmup && rows.length > 2 ? 1 : 0;
    const series = rows.slice(from).map((c) => w.of(c.sample));
    const [first, last] = [series[0] ?? Number.NaN, series.at(-1) ?? Number.NaN];
    const show = (v: number) => (w.unit === 'MiB' ? `${(v / MiB).toFixed(2)} MiB` : String(v));
    const growth = last - first;
    const verdict = growth <= w.slack ? 'FLAT' : 'GROWS';
    // A rate only over a span long enough to mean something (not in a smoke run).
    const span = (rows.at(-1)?.failovers ?? 0) - (rows[from]?.failovers ?? 0);
    const perHundred =
      w.unit === 'MiB' && span >= 50
        ? `, ${((growth / 1024 / span) * 100).toFixed(1)} KiB per 100 failovers`
        : '';
    return (
      `${w.name}: ${show(first)} after ${rows[from]?.failovers ?? 0} failovers, ${show(last)} after ` +
      `${rows.at(-1)?.failovers ?? 0}, peak ${show(Math.max(...series))}${perHundred}: ${verdict} ` +
      `(allowed drift ${show(w.slack)})`
    );
  });
}

/**
 * The failovers run so far, kept as a few numbers per kind rather than one object each: the soak's own
 * records must not grow the heap it watches. Failed ones are kept whole, to be reported.
 */
export class FailoverTally {
  count = 0;
  readonly failures: { index: number; outcome: FailoverOutcome }[] = [];
  private readonly byKind = new Map<
    FailoverKind,
    { times: number[]; failed: number; rejoins: Map<string, number> }
  >();

  add(outcome: FailoverOutcome): void {
    this.count++;
    const kind = this.byKind.get(outcome.kind) ?? {
      times: [],
      failed: 0,
      rejoins: new Map<string, number>(),
    };
    this.byKind.set(outcome.kind, kind);
    kind.times.push(Math.round(outcome.tookMs));
    if (outcome.rejoined) kind.rejoins.set(outcome.rejoined, (kind.rejoins.get(outcome.rejoined) ?? 0) + 1);
    if (outcome.failed) {
      kind.failed++;
      this.failures.push({ index: this.count, outcome });
    }
  }

  /** Time per kind of failover (up to the old primary replicating again), and how old primaries rejoined. */
  table(): string {
    const rows = [...this.byKind].map(([kind, { times, failed, rejoins }]) => [
      kind,
      String(times.length),
      String(failed),
      formatMs(median(times)),
      formatMs(max(times)),
      counts(rejoins),
    ]);
    return textTable(['failover', 'runs', 'failed', 'median time', 'max time', 'old primary back by'], rows);
  }
}
