import { runPhase } from '../overhead/closed-loop';
import { type CellResult, compareCell } from '../overhead/compare';
import type { Runner } from '../overhead/subjects';
import type { ReadsPlan } from './plan';
import { countServed, type Served } from './served';
import type { ReadFlags, ReadsSubject } from './subject';
import { POINT_READ } from './workload';

export interface ThroughputCell {
  readonly readers: number;
  /** compareCell's figures: `raw` is the primary-only side, `ours` the replica side. */
  readonly result: CellResult;
  /** Who served each side's reads, over the measured runs (compareCell's short warm-up included). */
  readonly served: { primary: Served; replica: Served };
}

/**
 * `readers` closed-loop callers running the point read through the one pool: plain `pool.query`
 * (the primary) and `readFrom: 'replica'`, in alternating runs (compareCell).
 */
export async function measureThroughput(subject: ReadsSubject, plan: ReadsPlan): Promise<ThroughputCell> {
  const served = { primary: new Map(), replica: new Map() } satisfies ThroughputCell['served'];
  const side = (into: Served, flags?: ReadFlags): Runner => ({
    query: async (sql, params) => countServed(into, subject, await subject.query(sql, params, flags)),
    // The pool is shared by both sides; the engine kit ends it.
    close: () => Promise.resolve(),
  });
  const sides = { raw: side(served.primary), ours: side(served.replica, { readFrom: 'replica' }) };
  const sql = POINT_READ.sql[subject.engine];
  for (const runner of [sides.raw, sides.ours])
    await runPhase(runner, POINT_READ, sql, plan.readers, plan.warmUpMs);
  served.primary.clear();
  served.replica.clear();
  const result = await compareCell(sides, subject.engine, POINT_READ, plan.readers, plan.runs, plan.runMs);
  return { readers: plan.readers, result, served };
}
