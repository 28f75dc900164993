import type { HistoryOp } from '../../src/testing/history';
import { checkHistory } from '../../src/testing/history';
import { longestGap, outageGap } from '../lib/gap';
import type { FaultTimes } from './types';

/** What one trial measured for one client. Times in ms; Infinity: it did not happen within the bound. */
export interface TrialMetrics {
  /**
   * The gap in acknowledged writes across the failover: last one before it -> first on the new
   * primary (with FaultTimes.outage 'longest-gap', the longest gap over the whole fault sequence).
   */
  outageMs: number;
  /** New primary writable -> first acknowledged write on it (0 when the client beat the watcher). */
  fromWritableMs: number;
  /** Errors the app saw, by class (`code`, else constructor name). */
  errors: Record<string, number>;
  /**
   * Rows on a node other than the new primary and missing from it, sent after the fault began: writes
   * a client kept sending to the old primary, which applied them once it resumed (a stale primary).
   */
  nonPrimaryWrites: number;
  /** Such rows whose write was already in flight when the fault began (the app saw an error for them). */
  inFlightOnOldPrimary: number;
  /** Acknowledged writes missing from the new primary. */
  lost: number;
  duplicates: number;
  /** Writes whose outcome the app could not know, by how they actually ended. */
  unknownApplied: number;
  unknownNotApplied: number;
  /** Failed (certainly not applied, said the client) but present. */
  failedButApplied: number;
  acked: number;
  attempted: number;
  /** Nodes that could not be read at the end (down): their rows are not counted. */
  unreadNodes: string[];
}

export interface TrialTimeline {
  /** Width of a bucket, ms. */
  bucketMs: number;
  /** Start of the first bucket relative to the fault, ms (negative: before it). */
  fromMs: number;
  /** Acknowledged writes that landed on the new primary (or before the fault), per bucket. */
  acked: number[];
  /** Acknowledged writes that did not land on the new primary, per bucket. */
  ackedElsewhere: number[];
  /** Errors surfaced, per bucket. */
  errors: number[];
  /** Relative to the fault: the new primary writable, the harness done. */
  writableMs: number;
  doneMs: number;
}

const BUCKET_MS = 50;

export function measureTrial(
  ops: readonly Readonly<HistoryOp>[],
  times: FaultTimes,
  idsByNode: ReadonlyMap<string, string[] | undefined>,
): { metrics: TrialMetrics; timeline: TrialTimeline } {
  const onPrimary = new Set(idsByNode.get(times.newPrimary) ?? []);
  const check = checkHistory(ops, onPrimary);
  const byId = new Map(ops.map((op) => [String(op.id), op]));

  const { outageMs, fromWritableMs } = outageOf(ops, times, onPrimary);

  const strays = new Set<string>();
  const inFlight = new Set<string>();
  const unreadNodes: string[] = [];
  for (const [node, ids] of idsByNode) {
    if (node === times.newPrimary) continue;
    if (!ids) {
      unreadNodes.push(node);
      continue;
    }
    for (const id of ids) {
      if (onPrimary.has(id)) continue;
      const op = byId.get(id);
      // Acknowledged before the fault but not replicated: plain replication loss (counted as lost).
      if (op?.outcome === 'ok' && op.end !== undefined && op.end <= times.faultAt) continue;
      (op && op.start < times.faultAt ? inFlight : strays).add(id);
    }
  }

  const errors: Record<string, number> = {};
  for (const op of ops) {
    if (op.outcome !== 'fail' && op.outcome !== 'unknown') continue;
    const name = errorClass(op.error);
    errors[name] = (errors[name] ?? 0) + 1;
  }

  const metrics: TrialMetrics = {
    outageMs,
    fromWritableMs,
    errors,
    nonPrimaryWrites: strays.size,
    inFlightOnOldPrimary: inFlight.size,
    lost: check.lost.length,
    duplicates: check.duplicates.length,
    unknownApplied: check.unknown.applied.length,
    unknownNotApplied: check.unknown.notApplied.length,
    failedButApplied: check.failedButApplied.length,
    acked: check.counts.ok,
    attempted: check.counts.ops,
    unreadNodes,
  };
  return { metrics, timeline: timelineOf(ops, times, onPrimary) };
}

/**
 * The outage is the longest gap between consecutive acknowledged writes from the fault up to the first
 * write acknowledged on the new primary after it became writable. Only writes that reached the new
 * primary count (or were acknowledged before the fault): a stale node's acknowledgements do not end
 * an outage. The gap is found from the writes themselves rather than cut at the writability moment,
 * which the watcher knows only to within a poll (a few ms): a fast client's first write on the new
 * primary can land before the watcher sees it writable. A sequence that may stall a client more
 * than once (FaultTimes.outage 'longest-gap') takes the longest gap up to that first write instead.
 */
function outageOf(
  ops: readonly Readonly<HistoryOp>[],
  times: FaultTimes,
  onPrimary: ReadonlySet<string>,
): { outageMs: number; fromWritableMs: number } {
  const acks = ops
    .filter((op) => op.outcome === 'ok' && op.end !== undefined)
    .filter((op) => (op.end as number) <= times.faultAt || onPrimary.has(String(op.id)))
    .map((op) => op.end as number)
    .sort((a, b) => a - b);
  const gap = (times.outage === 'longest-gap' ? longestGap : outageGap)(
    acks,
    times.faultAt,
    times.writableAt,
  );
  if (!gap) return { outageMs: Number.POSITIVE_INFINITY, fromWritableMs: Number.POSITIVE_INFINITY };
  return { outageMs: gap.to - gap.from, fromWritableMs: Math.max(0, gap.to - times.writableAt) };
}

/**
 * An error's class as the app would branch on it: its `code` (SQLSTATE, errno, the library's code),
 * else its name, with the start of the message when the name alone says nothing ("Error").
 */
export function errorClass(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  if (error instanceof Error) {
    return error.name === 'Error' ? `Error: ${error.message.slice(0, 40)}` : error.name;
  }
  return typeof error;
}

function timelineOf(
  ops: readonly Readonly<HistoryOp>[],
  times: FaultTimes,
  onPrimary: Set<string>,
): TrialTimeline {
  const fromMs = -1_000;
  let lastEnd = times.doneAt;
  for (const op of ops) if (op.end !== undefined && op.end > lastEnd) lastEnd = op.end;
  const count = Math.max(1, Math.ceil((lastEnd - times.faultAt - fromMs) / BUCKET_MS));
  const acked = new Array<number>(count).fill(0);
  const ackedElsewhere = new Array<number>(count).fill(0);
  const errors = new Array<number>(count).fill(0);
  for (const op of ops) {
    if (op.end === undefined) continue;
    const i = Math.floor((op.end - times.faultAt - fromMs) / BUCKET_MS);
    if (i < 0 || i >= count) continue;
    if (op.outcome === 'ok') {
      const landed = onPrimary.has(String(op.id)) || op.end <= times.faultAt;
      (landed ? acked : ackedElsewhere)[i]! += 1;
    } else {
      errors[i]! += 1;
    }
  }
  return {
    bucketMs: BUCKET_MS,
    fromMs,
    acked,
    ackedElsewhere,
    errors,
    writableMs: times.writableAt - times.faultAt,
    doneMs: times.doneAt - times.faultAt,
  };
}
