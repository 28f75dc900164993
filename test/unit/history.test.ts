import { describe, expect, it } from 'vitest';
import {
  WriteOutcomeUnknownError as FailoverWriteOutcomeUnknownError,
  NoPrimaryError,
} from '../../src/core/errors';
import { historyCheck } from '../../src/testing';
import {
  checkHistory,
  createHistory,
  errorClassOf,
  type OpId,
  type OpOutcome,
} from '../../src/testing/history';
import { formatReport } from '../../src/testing/history-report';

/** A history on a fake clock that the test moves by hand. */
function fakeHistory() {
  let t = 1000;
  const history = createHistory({ now: () => t });
  return {
    history,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Writes of ids 1..n, one every `every` ms, each taking 1 ms, with the given outcomes. */
function steady(n: number, every: number, outcome: (i: number) => OpOutcome = () => 'ok', error?: unknown) {
  const history = createHistory();
  for (let i = 1; i <= n; i++) {
    const start = i * every;
    const out = outcome(i);
    history.record({ id: i, start, end: start + 1, outcome: out, error: out === 'ok' ? undefined : error });
  }
  return history;
}

class WriteOutcomeUnknownError extends Error {}

describe('history recorder', () => {
  it('records begin/ok/fail/unknown with the clock, and refuses a second ending', () => {
    const { history, advance } = fakeHistory();
    const a = history.begin(1);
    advance(5);
    a.ok();
    const b = history.begin('b', 'write');
    advance(2);
    b.fail(new Error('nope'));
    const c = history.begin(3n);
    c.unknown();
    expect(history.ops()).toMatchObject([
      { id: 1, kind: 'write', start: 1000, end: 1005, outcome: 'ok' },
      { id: 'b', start: 1005, end: 1007, outcome: 'fail' },
      { id: 3n, start: 1007, end: 1007, outcome: 'unknown' },
    ]);
    expect(() => a.fail()).toThrow(/already ended/);
  });

  it('validates recorded ops', () => {
    const history = createHistory();
    expect(() => history.record({ id: 1, start: 5, end: 4, outcome: 'ok' })).toThrow(RangeError);
    expect(() => history.record({ id: 1, start: 1, end: 2, outcome: 'maybe' as OpOutcome })).toThrow(
      TypeError,
    );
    expect(() => history.begin({} as unknown as OpId)).toThrow(TypeError);
  });

  it('uses performance.now() by default', () => {
    const history = createHistory();
    const before = performance.now();
    history.begin(1).ok();
    const [op] = history.ops();
    expect(op!.start).toBeGreaterThanOrEqual(before);
    expect(op!.end).toBeLessThanOrEqual(performance.now());
  });
});

describe('history check: anomalies', () => {
  it('passes a clean history', () => {
    const result = steady(10, 10).check([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.ok).toBe(true);
    expect(result).toMatchObject({ lost: [], duplicates: [], failedButApplied: [], unexpected: [] });
    expect(result.counts).toMatchObject({ ops: 10, ok: 10, fail: 0, unknown: 0, ids: 10, finalRows: 10 });
  });

  it('finds acknowledged writes that were lost', () => {
    const result = steady(5, 10).check([1, 2, 4]);
    expect(result.ok).toBe(false);
    expect(result.lost).toEqual(['3', '5']);
  });

  it('finds duplicates', () => {
    const result = steady(3, 10).check([1, 2, 2, 3, 3, 3]);
    expect(result.ok).toBe(false);
    expect(result.duplicates).toEqual([
      { id: '3', count: 3 },
      { id: '2', count: 2 },
    ]);
    expect(result.counts).toMatchObject({ finalRows: 6, finalDistinct: 3 });
  });

  it('finds failed writes that appeared anyway', () => {
    const history = steady(4, 10, (i) => (i % 2 ? 'ok' : 'fail'), new Error('x'));
    const result = history.check([1, 2, 3]);
    expect(result.ok).toBe(false);
    expect(result.failedButApplied).toEqual(['2']);
    expect(result.lost).toEqual([]);
  });

  it('resolves unknowns without failing the check', () => {
    const history = steady(4, 10, (i) => (i <= 2 ? 'ok' : 'unknown'), new WriteOutcomeUnknownError('?'));
    const result = history.check([1, 2, 3]);
    expect(result.ok).toBe(true);
    expect(result.unknown).toEqual({ applied: ['3'], notApplied: ['4'] });
  });

  it('treats operations still running as unknown (pending)', () => {
    const { history } = fakeHistory();
    history.begin(1).ok();
    history.begin(2); // never ended
    const result = history.check([1, 2]);
    expect(result.counts.pending).toBe(1);
    expect(result.unknown.applied).toEqual(['2']);
    expect(result.ok).toBe(true);
  });

  it('aggregates retries of one id: any ok acknowledges it, an unknown may explain its presence', () => {
    const history = createHistory();
    history.record({ id: 7, start: 0, end: 1, outcome: 'unknown', error: new Error('lost conn') });
    history.record({ id: 7, start: 2, end: 3, outcome: 'ok' });
    history.record({ id: 8, start: 4, end: 5, outcome: 'fail' });
    history.record({ id: 8, start: 6, end: 7, outcome: 'unknown' });
    const result = history.check(['8']);
    expect(result.lost).toEqual(['7']);
    expect(result.failedButApplied).toEqual([]);
    expect(result.unknown.applied).toEqual(['8']);
    expect(result.counts.ids).toBe(2);
  });

  it('compares ids as strings: numbers, strings and bigints are one id', () => {
    const history = createHistory();
    history.record({ id: 1, start: 0, end: 1, outcome: 'ok' });
    history.record({ id: '2', start: 1, end: 2, outcome: 'ok' });
    history.record({ id: 3n, start: 2, end: 3, outcome: 'ok' });
    expect(history.check(['1', 2, '3']).ok).toBe(true);
    expect(history.check([1n, '2', 3]).ok).toBe(true);
    const dup = history.check([1, '1', 2, 3]);
    expect(dup.duplicates).toEqual([{ id: '1', count: 2 }]);
  });

  it('reports ids present but never attempted, without failing', () => {
    const result = steady(2, 10).check([1, 2, 99, 'x']);
    expect(result.unexpected).toEqual(['99', 'x']);
    expect(result.ok).toBe(true);
  });

  it('sorts ids numerically where they are numbers', () => {
    const result = steady(12, 10).check([]);
    expect(result.lost).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
  });

  it('checks only the given kinds', () => {
    const history = createHistory();
    history.record({ id: 1, start: 0, end: 1, outcome: 'ok' });
    history.record({ id: 'r1', kind: 'read', start: 1, end: 2, outcome: 'ok' });
    expect(history.check([1]).counts.ops).toBe(1);
    expect(history.check([], { kinds: ['read'] }).lost).toEqual(['r1']);
  });
});

describe('history check: edge cases', () => {
  it('an empty history with no rows is fine', () => {
    const result = createHistory().check([]);
    expect(result.ok).toBe(true);
    expect(result.counts).toMatchObject({ ops: 0, ids: 0, finalRows: 0 });
    expect(result.outages).toEqual([]);
    expect(result.longestOutage).toBeUndefined();
    expect(result.medianIntervalMs).toBeUndefined();
    expect(result.gapThresholdMs).toBe(100);
    expect(result.report()).toMatch(/OK/);
  });

  it('an empty history with rows reports them as unexpected', () => {
    const result = createHistory().check([1, 2]);
    expect(result.unexpected).toEqual(['1', '2']);
  });

  it('all failed: no anomaly if nothing appeared, and the whole history is one outage', () => {
    const history = steady(
      5,
      100,
      () => 'fail',
      Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    );
    const result = history.check([]);
    expect(result.ok).toBe(true);
    expect(result.counts.fail).toBe(5);
    expect(result.outages).toHaveLength(1);
    expect(result.longestOutage).toMatchObject({ edge: 'whole', start: 100, end: 501, failed: 5 });
    expect(result.errors).toEqual([
      { name: 'ECONNREFUSED', count: 5, fail: 5, unknown: 0, example: 'refused' },
    ]);
  });

  it('accepts any iterable of final ids', () => {
    const history = steady(3, 10);
    expect(history.check(new Set([1, 2, 3])).ok).toBe(true);
    expect(
      history.check(
        (function* () {
          yield* ['1', '2', '3'];
        })(),
      ).ok,
    ).toBe(true);
  });
});

describe('history check: errors', () => {
  it('groups errors by string code, else by constructor name', () => {
    const history = createHistory();
    const econn = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const numeric = Object.assign(new Error('mysql'), { code: 1290 });
    history.record({ id: 1, start: 0, end: 1, outcome: 'fail', error: econn });
    history.record({ id: 2, start: 1, end: 2, outcome: 'unknown', error: econn });
    history.record({ id: 3, start: 2, end: 3, outcome: 'unknown', error: new WriteOutcomeUnknownError('?') });
    history.record({ id: 4, start: 3, end: 4, outcome: 'fail', error: numeric });
    history.record({ id: 5, start: 4, end: 5, outcome: 'fail' });
    history.record({ id: 6, start: 5, end: 6, outcome: 'ok' });
    const { errors } = history.check([2, 6]);
    expect(errors).toEqual([
      { name: 'ECONNRESET', count: 2, fail: 1, unknown: 1, example: 'reset' },
      { name: 'Error', count: 1, fail: 1, unknown: 0, example: 'mysql' },
      { name: 'no error given', count: 1, fail: 1, unknown: 0, example: undefined },
      { name: 'WriteOutcomeUnknownError', count: 1, fail: 0, unknown: 1, example: '?' },
    ]);
  });

  it('classifies odd error values', () => {
    expect(errorClassOf('boom')).toBe('string');
    expect(errorClassOf({ code: '57P01' })).toBe('57P01');
    expect(errorClassOf({ message: 'plain' })).toBe('Object');
    expect(errorClassOf(Object.create(null))).toBe('Object');
    expect(errorClassOf(null)).toBe('no error given');
    expect(errorClassOf(new TypeError('t'))).toBe('TypeError');
  });
});

describe('history check: outages', () => {
  it('finds a gap between successes larger than the default threshold (5 x median, >= 100 ms)', () => {
    // Writes every 10 ms from 10 to 500; ids 21-40 fail (a 200 ms outage).
    const history = steady(50, 10, (i) => (i > 20 && i <= 40 ? 'fail' : 'ok'), new Error('down'));
    const result = history.check([...Array(50).keys()].map((i) => i + 1).filter((i) => i <= 20 || i > 40));
    expect(result.ok).toBe(true);
    expect(result.medianIntervalMs).toBe(10);
    expect(result.gapThresholdMs).toBe(100);
    expect(result.outages).toEqual([
      { start: 201, end: 411, durationMs: 210, edge: 'between', failed: 20, unknown: 0 },
    ]);
    expect(result.longestOutage?.durationMs).toBe(210);
    expect(result.outageMs).toBe(210);
  });

  it('derives the threshold from a slow rhythm: 5 x the median interval', () => {
    // One write per second: a 3 s gap is an outage, 1 s gaps are not.
    const history = createHistory();
    for (const t of [0, 1000, 2000, 3000, 6000, 7000, 8000]) {
      history.record({ id: t, start: t, end: t + 1, outcome: 'ok' });
    }
    const loose = history.check([0, 1000, 2000, 3000, 6000, 7000, 8000]);
    expect(loose.medianIntervalMs).toBe(1000);
    expect(loose.gapThresholdMs).toBe(5000);
    expect(loose.outages).toEqual([]);
    const tight = history.check([0, 1000, 2000, 3000, 6000, 7000, 8000], { gapThresholdMs: 2000 });
    expect(tight.outages).toMatchObject([{ start: 3001, end: 6001, durationMs: 3000, edge: 'between' }]);
  });

  it('reports outages at the start and at the end of the history, and picks the longest', () => {
    const history = createHistory();
    history.record({ id: 1, start: 0, end: 300, outcome: 'fail', error: new Error('no primary') });
    for (let i = 0; i < 10; i++)
      history.record({ id: 10 + i, start: 300 + i * 10, end: 301 + i * 10, outcome: 'ok' });
    history.record({ id: 2, start: 400, end: 900, outcome: 'unknown', error: new Error('timeout') });
    const result = history.check([...Array(10).keys()].map((i) => 10 + i));
    expect(result.outages.map((o) => o.edge)).toEqual(['start', 'end']);
    expect(result.outages[0]).toMatchObject({ start: 0, end: 301, failed: 1 });
    expect(result.outages[1]).toMatchObject({ start: 391, end: 900, unknown: 1 });
    expect(result.longestOutage).toBe(result.outages[1]);
  });

  it('uses the fake clock of begin()/ok() for outages', () => {
    const { history, advance } = fakeHistory();
    for (let i = 0; i < 5; i++) {
      const op = history.begin(i);
      advance(10);
      op.ok();
    }
    const failing = history.begin('f');
    advance(1000);
    failing.fail(new Error('x'));
    const op = history.begin(99);
    advance(10);
    op.ok();
    const result = history.check([0, 1, 2, 3, 4, 99]);
    expect(result.outages).toEqual([
      { start: 1050, end: 2060, durationMs: 1010, edge: 'between', failed: 1, unknown: 0 },
    ]);
  });

  it('rejects a negative threshold', () => {
    expect(() => steady(3, 10).check([1, 2, 3], { gapThresholdMs: -1 })).toThrow(RangeError);
  });
});

describe('history report', () => {
  it('is short and names every anomaly', () => {
    const history = createHistory();
    const err = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    for (let i = 1; i <= 30; i++) {
      const outcome: OpOutcome = i === 10 ? 'unknown' : i === 11 ? 'fail' : 'ok';
      history.record({
        id: i,
        start: i * 10,
        end: i * 10 + 1,
        outcome,
        error: outcome === 'ok' ? undefined : err,
      });
    }
    const finalIds = [...Array(30).keys()].map((i) => i + 1).filter((i) => i !== 5 && i < 25);
    finalIds.push(7, 7);
    const result = history.check(finalIds);
    const report = result.report();
    expect(report).toBe(formatReport(result));
    const lines = report.split('\n');
    expect(lines[0]).toBe('History check: FAILED (7 lost, 1 duplicated, 1 failed but applied)');
    expect(report).toContain('lost (acknowledged, absent): 5, 25, 26, 27, 28, 29, 30');
    expect(report).toContain('duplicated: 7 (x3)');
    expect(report).toContain('failed but applied: 11');
    expect(report).toContain('unknown outcome: 1 (applied 1, not applied 0)');
    expect(report).toContain('errors: ECONNRESET x2 (1 failed, 1 unknown)');
    expect(report).toMatch(/outages \(no successful write for > 100 ms\): none/);
    expect(lines.length).toBeLessThanOrEqual(10);
  });

  it('truncates long id lists and shows outage times from the first operation', () => {
    const history = steady(40, 10, (i) => (i > 10 && i <= 30 ? 'fail' : 'ok'));
    const result = history.check([]);
    const report = result.report();
    expect(report).toContain('lost (acknowledged, absent): 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (10 more)');
    expect(report).toMatch(
      /outages \(no successful write for > 100 ms\): 1, total 210 ms, longest 210 ms at 91 ms \.\. 301 ms/,
    );
  });
});

describe('checkHistory', () => {
  it('checks a recorded list of ops directly', () => {
    const result = checkHistory(
      [
        { id: 1, kind: 'write', start: 0, end: 1, outcome: 'ok' },
        { id: 2, kind: 'write', start: 1, end: 2, outcome: 'fail' },
      ],
      [1],
    );
    expect(result.ok).toBe(true);
  });
});

describe('history.attempt and the default outcome of a failed write', () => {
  it("counts failover-pool's not-applied errors as failed and everything else as unknown", () => {
    const { defaultOutcomeOf } = historyCheck;
    expect(defaultOutcomeOf(new NoPrimaryError('timeout', 'no primary', 100))).toBe('fail');
    expect(defaultOutcomeOf(new FailoverWriteOutcomeUnknownError('lost', {}))).toBe('unknown');
    expect(defaultOutcomeOf(new Error('Query read timeout'))).toBe('unknown');
    expect(defaultOutcomeOf(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe('unknown');
    expect(defaultOutcomeOf(undefined)).toBe('unknown');
  });

  it('records each write as it ended and hands back its error', async () => {
    const { history, advance } = fakeHistory();
    const notApplied = new NoPrimaryError('timeout', 'no primary', 100);
    const maybeApplied = new Error('socket hang up');
    expect(await history.attempt(1, async () => advance(5))).toBeUndefined();
    expect(await history.attempt(2, () => Promise.reject(notApplied))).toBe(notApplied);
    expect(await history.attempt(3, () => Promise.reject(maybeApplied))).toBe(maybeApplied);
    const custom = await history.attempt(4, () => Promise.reject(maybeApplied), { outcomeOf: () => 'fail' });
    expect(custom).toBe(maybeApplied);
    expect(history.ops().map((op) => [op.id, op.outcome, op.end! - op.start])).toEqual([
      [1, 'ok', 5],
      [2, 'fail', 0],
      [3, 'unknown', 0],
      [4, 'fail', 0],
    ]);
    expect(history.ops()[2]?.error).toBe(maybeApplied);
  });
});
