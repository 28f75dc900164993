import { runPhase } from '../overhead/closed-loop';
import { type CellResult, compareCell } from '../overhead/compare';
import { WORKLOADS } from '../overhead/workloads';
import type { OncePlan } from './plan';
import type { OnceSubject } from './subject';

/** The overhead bench's single-row INSERT with unique ids, into `events` (no other index, no trigger). */
const INSERT = WORKLOADS.find((w) => w.name === 'single-row INSERT');

export interface OnceCell {
  readonly replication: string;
  readonly callers: number;
  /** compareCell's figures: `raw` is the plain side, `ours` the exactlyOnce side. */
  readonly result: CellResult;
  /** Over the cell's measured runs (compareCell's own short warm-up included). */
  readonly onceWrites: number;
  readonly keyRows: number;
  readonly writes: number;
  readonly eventRows: number;
}

/** One key per exactlyOnce write, and one `events` row per write of either side. */
export const rowsMatch = (cell: OnceCell): boolean =>
  cell.keyRows === cell.onceWrites && cell.eventRows === cell.writes;

/**
 * One cell: `callers` closed-loop callers, plain and exactlyOnce in alternating runs (compareCell),
 * with the rows the runs left on the primary counted against the writes acknowledged.
 */
export async function measureCell(
  subject: OnceSubject,
  replication: string,
  callers: number,
  plan: OncePlan,
): Promise<OnceCell> {
  if (!INSERT) throw new Error('bench/overhead/workloads.ts has no "single-row INSERT" workload.');
  const sql = INSERT.sql[subject.engine];
  // The first exactlyOnce write creates the idempotency table: that must not land in a measured run.
  for (const side of [subject.plain, subject.once]) {
    await runPhase(side, INSERT, sql, callers, plan.warmUpMs);
  }
  const [rowsBefore, writtenBefore] = [await subject.rows(), subject.written()];
  const result = await compareCell(
    { raw: subject.plain, ours: subject.once },
    subject.engine,
    INSERT,
    callers,
    plan.runs,
    plan.runMs,
  );
  const [rows, written] = [await subject.rows(), subject.written()];
  const onceWrites = written.once - writtenBefore.once;
  return {
    replication,
    callers,
    result,
    onceWrites,
    keyRows: rows.keys - rowsBefore.keys,
    writes: onceWrites + written.plain - writtenBefore.plain,
    eventRows: rows.events - rowsBefore.events,
  };
}
