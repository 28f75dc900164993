import type { ReadsPlan } from './plan';
import { countServed, type Served } from './served';
import type { ReadsSubject } from './subject';
import { ROW_READ_SQL, WRITE_SQL } from './workload';

/** One side of a causal cell, over its measured runs. */
export interface CausalSide {
  /** The replica read after the write, milliseconds (the token is taken before it starts). */
  readonly readMs: number[];
  /** `pool.causalToken()` itself, milliseconds (the `after` side only). */
  readonly tokenMs: number[];
  readonly served: Served;
  /** Reads that did not see the row written just before them. */
  missed: number;
}

export interface CausalCell {
  /** How the replicas were delayed, or 'not delayed'. */
  readonly replicas: string;
  readonly writers: number;
  readonly after: CausalSide;
  readonly plain: CausalSide;
}

type SideName = 'after' | 'plain';

const emptySide = (): CausalSide => ({ readMs: [], tokenMs: [], served: new Map(), missed: 0 });

/** Ids of the rows written, never reused within the bench's run (one cluster per engine). */
let nextId = 1;

/**
 * `writers` callers, each in a loop: INSERT a row, then read it from a replica, `after` a token taken
 * right after the write (side 'after') or plainly (side 'plain', the baseline), for `ms`.
 */
async function runSide(subject: ReadsSubject, name: SideName, into: CausalSide, writers: number, ms: number) {
  const deadline = performance.now() + ms;
  const writer = async () => {
    while (performance.now() < deadline) {
      const id = nextId++;
      await subject.query(WRITE_SQL[subject.engine], [id, 'x']);
      let after: string | undefined;
      if (name === 'after') {
        const t0 = performance.now();
        after = await subject.causalToken();
        into.tokenMs.push(performance.now() - t0);
      }
      const t1 = performance.now();
      const flags =
        after === undefined ? { readFrom: 'replica' as const } : { readFrom: 'replica' as const, after };
      const rows = await subject.query(ROW_READ_SQL[subject.engine], [id], flags);
      into.readMs.push(performance.now() - t1);
      countServed(into.served, subject, rows);
      if (Number(rows[0]?.n) !== 1) into.missed++;
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
}

/**
 * Reads `after` a causal token against plain replica reads, in alternating runs (after, plain;
 * plain, after; ...) after a warm-up of each, so that machine noise hits both alike.
 */
export async function measureCausal(
  subject: ReadsSubject,
  replicas: string,
  plan: ReadsPlan,
): Promise<CausalCell> {
  const cell: CausalCell = { replicas, writers: plan.writers, after: emptySide(), plain: emptySide() };
  for (const name of ['after', 'plain'] as const) {
    await runSide(subject, name, emptySide(), plan.writers, plan.warmUpMs);
  }
  for (let r = 0; r < plan.runs; r++) {
    const order: SideName[] = r % 2 === 0 ? ['after', 'plain'] : ['plain', 'after'];
    for (const name of order) await runSide(subject, name, cell[name], plan.writers, plan.runMs);
  }
  return cell;
}
