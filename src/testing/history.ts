/**
 * A small Jepsen-style history of single-key inserts, and the checker that compares it with
 * the rows that are in the database at the end.
 *
 * Each operation inserts one row with its own id. The app under test records, for each, when
 * it started and how it ended as the client saw it:
 * - `ok`: the database acknowledged it: the row must be there, exactly once;
 * - `fail`: certainly not applied (e.g. rejected before it was sent): the row must be absent;
 * - `unknown`: the outcome is unknown (the connection died after sending): either is correct,
 *   and the checker reports which it was.
 * Then `check(finalIds)` reads the ids actually present and reports lost acknowledged writes,
 * duplicates, failed writes that appeared anyway, how the unknowns resolved, the errors seen,
 * and the outage windows (periods without a successful write).
 *
 * Times are monotonic milliseconds (`performance.now()` by default; any clock can be passed
 * to `createHistory` for tests). Ids are compared as strings: `1`, `1n` and `'1'` are one id
 * (a driver may return a bigint column as a string), and results report ids as strings.
 */
import { performance } from 'node:perf_hooks';
import { formatReport } from './history-report';
import { defaultOutcomeOf } from './outcome';

export type OpId = string | number | bigint;
export type OpOutcome = 'ok' | 'fail' | 'unknown';

/** One operation as recorded. `end` and `outcome` are absent while it is still running. */
export interface HistoryOp {
  id: OpId;
  kind: string;
  start: number;
  end?: number;
  outcome?: OpOutcome;
  error?: unknown;
}

/** Returned by `history.begin()`: call exactly one of these when the operation ends. */
export interface OpHandle {
  readonly op: Readonly<HistoryOp>;
  /** Acknowledged by the database. */
  ok(): void;
  /** Certainly not applied. */
  fail(error?: unknown): void;
  /** Outcome unknown: it may or may not have been applied. */
  unknown(error?: unknown): void;
}

export interface HistoryRecorder {
  /** Start an operation now. */
  begin(id: OpId, kind?: string): OpHandle;
  /** Record a whole operation at once (start/end in the same clock). */
  record(op: {
    id: OpId;
    kind?: string;
    start: number;
    end: number;
    outcome: OpOutcome;
    error?: unknown;
  }): void;
  /**
   * Runs `write` as one operation (begun now) and records how it ended: `ok` when it resolves;
   * when it throws, what `outcomeOf` says (default: `fail` for failover-pool's errors that say
   * nothing was applied, `unknown` for WriteOutcomeUnknownError and any other error). Never
   * throws: resolves with the error the write failed with, or undefined.
   */
  attempt(
    id: OpId,
    write: () => Promise<unknown>,
    options?: { kind?: string; outcomeOf?: (error: unknown) => 'fail' | 'unknown' },
  ): Promise<unknown>;
  /** Every operation recorded so far, in the order they began. */
  ops(): readonly Readonly<HistoryOp>[];
  check(finalIds: Iterable<OpId>, options?: CheckOptions): CheckResult;
}

export interface CheckOptions {
  /**
   * A gap between two consecutive successful writes longer than this is an outage. Default:
   * max(5 x the median interval between successful writes, 100 ms): 5 x the usual rhythm is
   * well beyond the jitter of a steady workload, and 100 ms keeps GC pauses and event-loop
   * stalls of a very fast workload from counting as outages.
   */
  gapThresholdMs?: number;
  /** Which kinds of operation are inserts to check. Default `['write']`. */
  kinds?: readonly string[];
}

export interface ErrorClass {
  /** The error's `code` if it is a string, else its constructor's name. */
  name: string;
  count: number;
  fail: number;
  unknown: number;
  /** The message of the first error of this class. */
  example: string | undefined;
}

export interface Outage {
  start: number;
  end: number;
  durationMs: number;
  /**
   * `between`: between two successful writes. `start`: from the first operation to the first
   * success. `end`: from the last success to the end of the last operation. `whole`: no
   * operation succeeded at all.
   */
  edge: 'between' | 'start' | 'end' | 'whole';
  /** Operations that ended without success inside the window. */
  failed: number;
  unknown: number;
}

export interface CheckResult {
  /** True iff nothing was lost, nothing duplicated, and no failed write appeared. */
  ok: boolean;
  /** Acknowledged (ok) but absent from the final ids. */
  lost: string[];
  /** Present more than once in the final ids. */
  duplicates: Array<{ id: string; count: number }>;
  /** Reported failed (certainly not applied), yet present. */
  failedButApplied: string[];
  /** Ids whose outcome was unknown (or still pending), by how they resolved. */
  unknown: { applied: string[]; notApplied: string[] };
  /** Present in the final ids but never attempted (another writer? a stale row?). */
  unexpected: string[];
  counts: {
    /** Operations checked (of the checked kinds). */
    ops: number;
    ok: number;
    fail: number;
    unknown: number;
    /** Begun, never ended: treated as unknown. */
    pending: number;
    /** Distinct ids attempted. */
    ids: number;
    /** Final ids given, and how many distinct. */
    finalRows: number;
    finalDistinct: number;
  };
  errors: ErrorClass[];
  outages: Outage[];
  longestOutage: Outage | undefined;
  /** Total time in outages. */
  outageMs: number;
  gapThresholdMs: number;
  medianIntervalMs: number | undefined;
  /** First operation's start: the origin of the times in the report. */
  startedAt: number | undefined;
  /** A short readable multi-line report. */
  report(): string;
}

const MIN_GAP_THRESHOLD_MS = 100;
const GAP_MEDIAN_FACTOR = 5;

export function createHistory(options: { now?: () => number } = {}): HistoryRecorder {
  const now = options.now ?? (() => performance.now());
  const ops: HistoryOp[] = [];

  const recorder: HistoryRecorder = {
    begin(id, kind = 'write') {
      assertId(id);
      const op: HistoryOp = { id, kind, start: now() };
      ops.push(op);
      const finish = (outcome: OpOutcome, error?: unknown): void => {
        if (op.outcome) throw new Error(`history: operation ${String(id)} already ended (${op.outcome})`);
        op.end = now();
        op.outcome = outcome;
        if (error !== undefined) op.error = error;
      };
      return {
        op,
        ok: () => finish('ok'),
        fail: (error) => finish('fail', error),
        unknown: (error) => finish('unknown', error),
      };
    },
    record(op) {
      assertId(op.id);
      if (op.outcome !== 'ok' && op.outcome !== 'fail' && op.outcome !== 'unknown') {
        throw new TypeError(`history: outcome must be ok, fail or unknown, got ${String(op.outcome)}`);
      }
      if (!(op.end >= op.start)) throw new RangeError(`history: end (${op.end}) before start (${op.start})`);
      ops.push({ ...op, kind: op.kind ?? 'write' });
    },
    async attempt(id, write, attemptOptions = {}) {
      const op = recorder.begin(id, attemptOptions.kind);
      try {
        await write();
        op.ok();
        return undefined;
      } catch (error) {
        if ((attemptOptions.outcomeOf ?? defaultOutcomeOf)(error) === 'fail') op.fail(error);
        else op.unknown(error);
        return error;
      }
    },
    ops: () => ops,
    check: (finalIds, checkOptions) => checkHistory(ops, finalIds, checkOptions),
  };
  return recorder;
}

function assertId(id: unknown): void {
  if (typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') {
    throw new TypeError(`history: id must be a string, number or bigint, got ${typeof id}`);
  }
}

const key = (id: OpId): string => String(id);

/** Check a list of operations against the final ids (exported for recorded histories). */
export function checkHistory(
  allOps: readonly Readonly<HistoryOp>[],
  finalIds: Iterable<OpId>,
  options: CheckOptions = {},
): CheckResult {
  const kinds = new Set(options.kinds ?? ['write']);
  const ops = allOps.filter((op) => kinds.has(op.kind));

  const present = new Map<string, number>();
  let finalRows = 0;
  for (const id of finalIds) {
    finalRows++;
    const k = key(id);
    present.set(k, (present.get(k) ?? 0) + 1);
  }

  // Per id: acknowledged if any attempt was ok; else unknown if any attempt may have applied.
  const status = new Map<string, 'ok' | 'unknown' | 'fail'>();
  const counts = { ops: ops.length, ok: 0, fail: 0, unknown: 0, pending: 0 };
  for (const op of ops) {
    const outcome = op.outcome ?? 'pending';
    counts[outcome]++;
    const k = key(op.id);
    const before = status.get(k);
    const now = outcome === 'pending' ? 'unknown' : outcome;
    if (before === 'ok' || now === 'ok') status.set(k, 'ok');
    else if (before === 'unknown' || now === 'unknown') status.set(k, 'unknown');
    else status.set(k, 'fail');
  }

  const lost: string[] = [];
  const failedButApplied: string[] = [];
  const unknown = { applied: [] as string[], notApplied: [] as string[] };
  for (const [id, s] of status) {
    const isPresent = present.has(id);
    if (s === 'ok' && !isPresent) lost.push(id);
    else if (s === 'fail' && isPresent) failedButApplied.push(id);
    else if (s === 'unknown') (isPresent ? unknown.applied : unknown.notApplied).push(id);
  }
  const duplicates = [...present]
    .filter(([, count]) => count > 1)
    .map(([id, count]) => ({ id, count }))
    .sort((a, b) => b.count - a.count || compareIds(a.id, b.id));
  const unexpected = [...present.keys()].filter((id) => !status.has(id));

  for (const list of [lost, failedButApplied, unknown.applied, unknown.notApplied, unexpected]) {
    list.sort(compareIds);
  }

  const timing = outages(ops, options.gapThresholdMs);
  const result: CheckResult = {
    ok: lost.length === 0 && duplicates.length === 0 && failedButApplied.length === 0,
    lost,
    duplicates,
    failedButApplied,
    unknown,
    unexpected,
    counts: { ...counts, ids: status.size, finalRows, finalDistinct: present.size },
    errors: errorClasses(ops),
    ...timing,
    startedAt: ops.length > 0 ? span(ops).first : undefined,
    report: () => formatReport(result),
  };
  return result;
}

/** Numeric ids in numeric order, then the others in string order. */
function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const aNum = a.trim() !== '' && Number.isFinite(na);
  const bNum = b.trim() !== '' && Number.isFinite(nb);
  if (aNum && bNum) return na - nb || (a < b ? -1 : a > b ? 1 : 0);
  if (aNum !== bNum) return aNum ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The class an error is grouped by: its string `code`, else its constructor's name. */
export function errorClassOf(error: unknown): string {
  if (error === undefined || error === null) return 'no error given';
  if (typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as object).constructor?.name;
    return name && name !== 'Object' ? name : 'Object';
  }
  return typeof error;
}

function errorClasses(ops: readonly Readonly<HistoryOp>[]): ErrorClass[] {
  const classes = new Map<string, ErrorClass>();
  for (const op of ops) {
    if (op.outcome !== 'fail' && op.outcome !== 'unknown') continue;
    const name = errorClassOf(op.error);
    let entry = classes.get(name);
    if (!entry) {
      entry = { name, count: 0, fail: 0, unknown: 0, example: messageOf(op.error) };
      classes.set(name, entry);
    }
    entry.count++;
    entry[op.outcome]++;
  }
  return [...classes.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

function messageOf(error: unknown): string | undefined {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return undefined;
}

/** Earliest start and latest end (loops, not Math.min(...): histories can be long). */
function span(ops: readonly Readonly<HistoryOp>[]): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const op of ops) {
    if (op.start < first) first = op.start;
    const end = op.end ?? op.start;
    if (end > last) last = end;
  }
  return { first, last };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function outages(
  ops: readonly Readonly<HistoryOp>[],
  gapThresholdMs: number | undefined,
): Pick<CheckResult, 'outages' | 'longestOutage' | 'outageMs' | 'gapThresholdMs' | 'medianIntervalMs'> {
  const successes = ops
    .filter((op) => op.outcome === 'ok')
    .map((op) => op.end!)
    .sort((a, b) => a - b);
  const intervals = successes.slice(1).map((t, i) => t - successes[i]!);
  const medianIntervalMs = median(intervals);
  const threshold =
    gapThresholdMs ?? Math.max(GAP_MEDIAN_FACTOR * (medianIntervalMs ?? 0), MIN_GAP_THRESHOLD_MS);
  if (!(threshold >= 0)) throw new RangeError(`gapThresholdMs must be >= 0, got ${gapThresholdMs}`);

  const ended = ops.filter((op) => op.end !== undefined);
  const windows: Array<Omit<Outage, 'failed' | 'unknown' | 'durationMs'>> = [];
  if (ops.length > 0) {
    const { first, last } = span(ops);
    if (successes.length === 0) {
      windows.push({ start: first, end: last, edge: 'whole' });
    } else {
      const firstOk = successes[0]!;
      const lastOk = successes[successes.length - 1]!;
      if (firstOk - first > threshold) windows.push({ start: first, end: firstOk, edge: 'start' });
      for (let i = 1; i < successes.length; i++) {
        const [a, b] = [successes[i - 1]!, successes[i]!];
        if (b - a > threshold) windows.push({ start: a, end: b, edge: 'between' });
      }
      if (last - lastOk > threshold) windows.push({ start: lastOk, end: last, edge: 'end' });
    }
  }
  const result: Outage[] = windows.map((w) => {
    let failed = 0;
    let unknown = 0;
    for (const op of ended) {
      if (op.end! < w.start || op.end! > w.end) continue;
      if (op.outcome === 'fail') failed++;
      else if (op.outcome === 'unknown') unknown++;
    }
    return { ...w, durationMs: w.end - w.start, failed, unknown };
  });
  let longestOutage: Outage | undefined;
  for (const o of result) if (!longestOutage || o.durationMs > longestOutage.durationMs) longestOutage = o;
  return {
    outages: result,
    longestOutage,
    outageMs: result.reduce((sum, o) => sum + o.durationMs, 0),
    gapThresholdMs: threshold,
    medianIntervalMs,
  };
}
