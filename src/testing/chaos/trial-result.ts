/** A trial's observations turned into its result: counts, examples, and the timeline data. */
import type { CheckResult, HistoryOp } from '../history';
import { MAX_LISTED_IDS, type TrialResult } from './results';
import type { TrialSpec } from './trial';
import type { StampedEvent } from './trial-timeline';
import { errorName } from './workload';

/** Gaps between acknowledged writes shorter than this are the workload's rhythm or a GC pause, not an outage. */
export const DEFAULT_GAP_THRESHOLD_MS = 250;

const BUCKET_MS = 100;
const MAX_FAILURE_MARKS = 500;

/** What happened while the writes ran, in performance.now() time. */
export interface Observed {
  ops: readonly Readonly<HistoryOp>[];
  events: StampedEvent[];
  /** The fault's first mark. */
  faultAt: number;
  /** When the fault's script had ended (and the proxies were cleared): the cluster is whole again. */
  recoveredAt: number;
  /** When new writes stopped: the writes still under way then only finish. */
  stoppedAt: number;
  endedAt: number;
  /** Every node made primary during the trial (by the harness or the app), the first one included. */
  primaries: Set<string>;
  /** The node that must hold every acknowledged write at the end. */
  finalPrimary: string;
  /** Every node the pool wrote to, as sampled. */
  poolPrimaries: Set<string>;
  /** Why the app instances did not promote, by reason (promotion by the library only). */
  promotionSkips: Record<string, number>;
  /** What the app instances were expected to do and did not (promotion by the library only). */
  libraryFailures: string[];
  faultError?: string;
  /** Writes still under way when the writers gave up waiting for them (see Writers.stop). */
  hungAtStop: number;
}

export function toResult<Pool>(
  spec: TrialSpec<Pool>,
  description: string,
  observed: Observed,
  check: CheckResult,
  strays: string[],
): TrialResult {
  const origin = check.startedAt ?? observed.faultAt;
  const rel = (t: number) => Math.round(t - origin);
  const errors: Record<string, number> = {};
  const failures: TrialResult['failures'] = [];
  const okPerBucket = new Array<number>(Math.ceil((observed.endedAt - origin) / BUCKET_MS) + 1).fill(0);
  for (const op of observed.ops) {
    if (op.end === undefined) continue;
    const bucket = Math.floor((op.end - origin) / BUCKET_MS);
    if (op.outcome === 'ok') okPerBucket[bucket] = (okPerBucket[bucket] ?? 0) + 1;
    else if (op.outcome === 'fail' || op.outcome === 'unknown') {
      const name = errorName(op.error);
      errors[name] = (errors[name] ?? 0) + 1;
      if (failures.length < MAX_FAILURE_MARKS) failures.push({ atMs: rel(op.end), outcome: op.outcome });
    }
  }
  // Outages of this fault: not the baseline's hiccups before it, nor the tail of late writes after the
  // stream stopped (no successful write there, but none was being issued): windows are cut at the
  // stop, and what is left must still be longer than the threshold.
  const outages = check.outages
    .filter((o) => o.end > observed.faultAt)
    .map((o) => ({ start: o.start, end: Math.min(o.end, observed.stoppedAt) }))
    .map((o) => ({ ...o, durationMs: o.end - o.start }))
    .filter((o) => o.durationMs > check.gapThresholdMs);
  const c = check.counts;
  const resumed = observed.ops.some((op) => op.outcome === 'ok' && op.start >= observed.recoveredAt);
  return {
    ...identity(spec, description),
    ...(observed.faultError ? { harnessError: observed.faultError } : {}),
    promotions: observed.events.filter((event) => event.kind === 'promote').length,
    promotionSkips: observed.promotionSkips,
    libraryFailures: observed.libraryFailures,
    resumed,
    writes: { attempted: c.ops, ok: c.ok, fail: c.fail, unknown: c.unknown + c.pending },
    hung: Math.max(c.pending, observed.hungAtStop),
    lost: check.lost.length,
    duplicated: check.duplicates.length,
    failedButApplied: check.failedButApplied.length,
    unknownApplied: check.unknown.applied.length,
    unknownNotApplied: check.unknown.notApplied.length,
    strays: strays.length,
    foreignPrimaries: [...observed.poolPrimaries].filter((node) => !observed.primaries.has(node)),
    examples: {
      lost: check.lost.slice(0, MAX_LISTED_IDS),
      duplicated: check.duplicates.slice(0, MAX_LISTED_IDS).map((d) => `${d.id} (x${d.count})`),
      failedButApplied: check.failedButApplied.slice(0, MAX_LISTED_IDS),
      strays: strays.slice(0, MAX_LISTED_IDS),
    },
    errors,
    outageMs: Math.round(outages.reduce((total, o) => total + o.durationMs, 0)),
    outages: outages.map((o) => ({ startMs: rel(o.start), endMs: rel(o.end) })),
    gapThresholdMs: check.gapThresholdMs,
    faultAtMs: rel(observed.faultAt),
    durationMs: rel(observed.endedAt),
    events: observed.events.map(({ at, ...event }) => ({ ...event, atMs: rel(at) })),
    bucketMs: BUCKET_MS,
    okPerBucket,
    failures,
  };
}

function identity<Pool>(spec: TrialSpec<Pool>, description: string) {
  return {
    engine: spec.engine.name,
    description,
    fault: spec.fault.name,
    replication: spec.replication,
    trial: spec.trial,
    expectedPromotions: spec.fault.promotions,
  };
}

export function emptyResult<Pool>(
  spec: TrialSpec<Pool>,
  description: string,
  harnessError: string,
): TrialResult {
  return {
    ...identity(spec, description),
    harnessError,
    promotions: 0,
    promotionSkips: {},
    libraryFailures: [],
    resumed: false,
    writes: { attempted: 0, ok: 0, fail: 0, unknown: 0 },
    lost: 0,
    duplicated: 0,
    failedButApplied: 0,
    hung: 0,
    unknownApplied: 0,
    unknownNotApplied: 0,
    strays: 0,
    foreignPrimaries: [],
    examples: { lost: [], duplicated: [], failedButApplied: [], strays: [] },
    errors: {},
    outageMs: 0,
    outages: [],
    gapThresholdMs: spec.fault.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS,
    faultAtMs: 0,
    durationMs: 0,
    events: [],
    bucketMs: BUCKET_MS,
    okPerBucket: [],
    failures: [],
  };
}
