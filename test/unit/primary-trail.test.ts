import { describe, expect, it } from 'vitest';
import { PrimaryTrail } from '../../src/core/promotion/primary-trail';
import { comparePgPositions } from '../../src/dialects/positions';
import { carriedStandbyNames } from '../../src/dialects/postgres/synchronous-names';

describe('PrimaryTrail: how far a candidate is behind the primary it replaces', () => {
  const trail = () => {
    const t = new PrimaryTrail(10_000);
    // The primary, probed every second: at 0/100 from 0 to 2 s, 0/200 at 3 s, 0/300 from 4 to 5 s.
    for (const [at, position] of [
      [0, '0/100'],
      [1_000, '0/100'],
      [2_000, '0/100'],
      [3_000, '0/200'],
      [4_000, '0/300'],
      [5_000, '0/300'],
    ] as const)
      t.record('db1', position, at);
    return t;
  };

  it('is 0 behind when the candidate holds the last position seen', () => {
    expect(trail().behind('db1', '0/300', comparePgPositions)).toEqual({
      behindMs: 0,
      primaryPosition: '0/300',
    });
    expect(trail().behind('db1', '0/3A0', comparePgPositions)?.behindMs).toBe(0);
  });

  it('counts from the last time the primary was seen at the newest position the candidate holds', () => {
    // Holds 0/100 (last seen at 2 s) but not 0/200: the primary wrote on until 5 s.
    expect(trail().behind('db1', '0/150', comparePgPositions)?.behindMs).toBe(3_000);
    expect(trail().behind('db1', '0/200', comparePgPositions)?.behindMs).toBe(2_000);
  });

  it('gives the span seen as a lower bound when the candidate holds none of it', () => {
    expect(trail().behind('db1', '0/50', comparePgPositions)?.behindMs).toBe(5_000);
  });

  it('knows nothing of another primary, and starts again with a new one', () => {
    const t = trail();
    expect(t.behind('db2', '0/300', comparePgPositions)).toBeUndefined();
    t.record('db2', '0/900', 6_000);
    expect(t.behind('db1', '0/300', comparePgPositions)).toBeUndefined();
    expect(t.behind('db2', '0/800', comparePgPositions)?.behindMs).toBe(0);
  });

  it('keeps only the window it was given, plus the mark before it', () => {
    const t = new PrimaryTrail(1_000);
    for (let i = 0; i <= 10; i++) t.record('db1', `0/${(i + 1) * 100}`, i * 1_000);
    // 0/100 is long forgotten: a candidate there holds none of what is kept (8 s to 10 s).
    expect(t.behind('db1', '0/100', comparePgPositions)?.behindMs).toBe(2_000);
    expect(t.behind('db1', '0/900', comparePgPositions)?.behindMs).toBe(2_000);
    expect(t.behind('db1', '0/1000', comparePgPositions)?.behindMs).toBe(1_000);
  });
});

describe('carriedStandbyNames: synchronous_standby_names for a promoted standby', () => {
  it('keeps the method and the count, towards any standby, never more than are left', () => {
    expect(carriedStandbyNames('FIRST 1 (node2)', 1)).toBe('FIRST 1 (*)');
    expect(carriedStandbyNames('ANY 2 (a, b, c)', 2)).toBe('ANY 2 (*)');
    expect(carriedStandbyNames('ANY 2 (a, b, c)', 1)).toBe('ANY 1 (*)');
    expect(carriedStandbyNames('2 (a, b)', 3)).toBe('FIRST 2 (*)');
    expect(carriedStandbyNames('node2, node3', 2)).toBe('FIRST 1 (*)');
    expect(carriedStandbyNames('*', 1)).toBe('FIRST 1 (*)');
  });

  it('is empty (asynchronous) when nothing was synchronous or no replica is left', () => {
    expect(carriedStandbyNames('', 2)).toBe('');
    expect(carriedStandbyNames('FIRST 1 (node2)', 0)).toBe('');
  });
});
