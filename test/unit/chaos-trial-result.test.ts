import { describe, expect, it } from 'vitest';
import { NoPrimaryError } from '../../src/core/errors';
import { chaos } from '../../src/testing';
import { type Observed, toResult } from '../../src/testing/chaos/trial-result';
import { checkHistory, createHistory, type HistoryOp } from '../../src/testing/history';

/** A steady write every 10 ms over [from, to), acknowledged. */
function oks(from: number, to: number, firstId: number): HistoryOp[] {
  const ops: HistoryOp[] = [];
  for (let t = from, id = firstId; t < to; t += 10, id++) {
    ops.push({ id, kind: 'write', start: t, end: t + 2, outcome: 'ok' });
  }
  return ops;
}

const fault = chaos.faultsNamed(['kill-primary'])[0]!;
const spec = {
  engine: { name: 'postgresql' },
  fault,
  replication: 'sync',
  trial: 1,
} as unknown as chaos.TrialSpec<unknown>;

function resultOf(ops: HistoryOp[], finalIds: string[], hungAtStop = 0) {
  const observed: Observed = {
    ops,
    events: [{ at: 1000, atMs: 0, label: 'kill -9 node1', kind: 'fault' }],
    faultAt: 1000,
    recoveredAt: 1500,
    stoppedAt: 3000,
    endedAt: 4000,
    primaries: new Set(['node1', 'node2']),
    finalPrimary: 'node2',
    poolPrimaries: new Set(['node1', 'node2']),
    promotionSkips: {},
    libraryFailures: [],
    hungAtStop,
  };
  const check = checkHistory(ops, finalIds, { gapThresholdMs: 250 });
  return toResult(spec, 'PostgreSQL 15', observed, check, []);
}

describe('toResult', () => {
  it('counts as hung a write still under way when the writers gave up, though closing the pool ended it later', () => {
    const ops = [
      ...oks(0, 1000, 100),
      { id: 7, kind: 'write', start: 500, end: 70_000, outcome: 'unknown' as const },
    ];
    expect(resultOf(ops, [], 1).hung).toBe(1);
    expect(resultOf(ops, [], 0).hung).toBe(0);
  });

  it("counts the fault's outage, not a hiccup before it nor the tail after the writes stopped", () => {
    const ops = [
      ...oks(0, 300, 1), // a 300 ms hiccup before the fault: baseline noise
      ...oks(600, 1000, 100),
      ...oks(2000, 3000, 200), // the fault: nothing from 1000 to 2000
      // A write queued during the fault that only ends long after the stream stopped.
      { id: 999, kind: 'write', start: 1100, end: 3800, outcome: 'ok' as const },
    ];
    const result = resultOf(
      ops,
      ops.map((op) => String(op.id)),
    );
    expect(result.outages).toEqual([{ startMs: 992, endMs: 2002 }]);
    expect(result.outageMs).toBe(1010);
    expect(result.faultAtMs).toBe(1000);
  });

  it('keeps an outage that lasts until the writes stop (the app never recovered)', () => {
    const ops = [
      ...oks(0, 1000, 1),
      { id: 500, kind: 'write', start: 1200, end: 3500, outcome: 'fail' as const },
    ];
    const result = resultOf(
      ops,
      oks(0, 1000, 1).map((op) => String(op.id)),
    );
    expect(result.outages).toEqual([{ startMs: 992, endMs: 3000 }]);
    expect(result.resumed).toBe(false);
  });

  it('sees writes resume once a write started after the recovery is acknowledged, and counts the promotions', () => {
    const ops = [...oks(0, 1000, 1), ...oks(1400, 1600, 100)];
    const result = resultOf(
      ops,
      ops.map((op) => String(op.id)),
    );
    expect(result.resumed).toBe(true);
    expect(result.promotions).toBe(0);
    expect(result.expectedPromotions).toBe(1);
  });

  it('reports writes without an end as hung, and counts errors by class', () => {
    const history = createHistory({ now: () => 0 });
    history.begin(1).ok();
    history.begin(2);
    history.begin(3).fail(new NoPrimaryError('timeout', 'no primary', 10));
    const result = resultOf([...history.ops()], ['1']);
    expect(result.hung).toBe(1);
    expect(result.writes).toEqual({ attempted: 3, ok: 1, fail: 1, unknown: 1 });
    expect(result.errors).toEqual({ NO_PRIMARY: 1 });
  });
});
