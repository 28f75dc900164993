import { describe, expect, it } from 'vitest';
import { type ChaosReport, chaos, formatChaosTable } from '../../src/testing';
import { summarizeCell } from '../../src/testing/chaos/summary';

/** A clean trial; `over` changes what a test is about. */
function trial(over: Partial<chaos.TrialResult> = {}): chaos.TrialResult {
  return {
    engine: 'postgresql',
    description: 'PostgreSQL 15',
    fault: 'kill-primary',
    replication: 'sync',
    trial: 1,
    promotions: 1,
    expectedPromotions: 1,
    promotionSkips: {},
    libraryFailures: [],
    resumed: true,
    writes: { attempted: 100, ok: 98, fail: 1, unknown: 1 },
    lost: 0,
    duplicated: 0,
    failedButApplied: 0,
    hung: 0,
    unknownApplied: 0,
    unknownNotApplied: 1,
    strays: 0,
    foreignPrimaries: [],
    examples: { lost: [], duplicated: [], failedButApplied: [], strays: [] },
    errors: { WRITE_OUTCOME_UNKNOWN: 1, NO_PRIMARY: 1 },
    outageMs: 700,
    outages: [{ startMs: 1100, endMs: 1800 }],
    gapThresholdMs: 250,
    faultAtMs: 1000,
    durationMs: 4000,
    events: [
      { atMs: 1000, label: 'kill -9 node1', kind: 'fault' },
      { atMs: 1700, label: 'node2 promoted', kind: 'promote' },
    ],
    bucketMs: 100,
    okPerBucket: [5, 6, 5, 0, 4],
    failures: [{ atMs: 1200, outcome: 'unknown' }],
    ...over,
  };
}

const killPrimary = chaos.faultsNamed(['kill-primary'])[0]!;
const emptyReport: ChaosReport = {
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1_000,
  trialsPerCell: 2,
  cells: [],
  trials: [],
};
const partition = chaos.faultsNamed(['partition-primary'])[0]!;

describe('summarizeCell', () => {
  it('passes a clean cell and takes the median and max outage over trials', () => {
    const cell = summarizeCell(killPrimary, [
      trial({ outageMs: 500 }),
      trial({ trial: 2, outageMs: 900 }),
      trial({ trial: 3, outageMs: 600 }),
    ]);
    expect(cell.verdict).toBe('pass');
    expect(cell.outageMedianMs).toBe(600);
    expect(cell.outageMaxMs).toBe(900);
    expect(cell.errors).toEqual({ WRITE_OUTCOME_UNKNOWN: 3, NO_PRIMARY: 3 });
    expect(cell.writesOk).toBe(294);
  });

  it('fails a synchronous cell that lost an acknowledged write', () => {
    expect(summarizeCell(killPrimary, [trial({ lost: 1 })]).verdict).toBe('fail');
  });

  it('expects losses only after a promotion under asynchronous replication', () => {
    expect(summarizeCell(killPrimary, [trial({ replication: 'async', lost: 3 })]).verdict).toBe(
      'loss-expected',
    );
    expect(summarizeCell(partition, [trial({ replication: 'async', lost: 3 })]).verdict).toBe('fail');
  });

  it('fails on duplicates, strays, foreign primaries and broken trials, whatever the mode', () => {
    for (const over of [
      { duplicated: 1 },
      { failedButApplied: 1 },
      { strays: 2 },
      { hung: 1 },
      { foreignPrimaries: ['node3'] },
      { harnessError: 'promotion timed out' },
    ]) {
      expect(summarizeCell(killPrimary, [trial({ replication: 'async', ...over })]).verdict).toBe('fail');
    }
  });

  it('fails a trial with another number of promotions than its fault calls for, writes that never resumed, or a former primary never fenced', () => {
    for (const over of [
      { promotions: 0 },
      { promotions: 2 },
      { resumed: false },
      { libraryFailures: ['no app instance fenced node1 within 15000 ms'] },
    ]) {
      const cell = summarizeCell(killPrimary, [trial(), trial({ trial: 2, ...over })]);
      expect(cell.verdict).toBe('fail');
    }
    const cell = summarizeCell(killPrimary, [trial(), trial({ trial: 2, promotions: 2 })]);
    expect(cell.promotions).toEqual([1, 2]);
    expect(
      formatChaosTable({ ...emptyReport, cells: [cell], trials: [trial({ trial: 2, promotions: 2 })] }),
    ).toContain('failed trial: postgresql kill-primary sync #2: 2 promotions, 1 expected');
  });

  it('adds up why app instances did not promote', () => {
    const cell = summarizeCell(killPrimary, [
      trial({ promotionSkips: { 'another-instance-promotes': 2 } }),
      trial({ trial: 2, promotionSkips: { 'another-instance-promotes': 1, 'cooling-down': 1 } }),
    ]);
    expect(cell.promotionSkips).toEqual({ 'another-instance-promotes': 3, 'cooling-down': 1 });
    expect(formatChaosTable({ ...emptyReport, cells: [cell] })).toContain(
      'not promoting, by reason: another-instance-promotes 3, cooling-down 1',
    );
  });

  it('leaves broken trials out of the outage figures', () => {
    const cell = summarizeCell(killPrimary, [
      trial({ outageMs: 800 }),
      trial({ harnessError: 'x', outageMs: 0 }),
    ]);
    expect(cell.outageMedianMs).toBe(800);
    expect(cell.harnessErrors).toBe(1);
  });
});

describe('reports', () => {
  const report: ChaosReport = {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 12_000,
    trialsPerCell: 2,
    cells: [
      summarizeCell(killPrimary, [
        trial(),
        trial({ trial: 2, lost: 2, examples: { ...trial().examples, lost: ['17', '18'] } }),
      ]),
    ],
    trials: [trial(), trial({ trial: 2, lost: 2, examples: { ...trial().examples, lost: ['17', '18'] } })],
  };

  it('prints one table row per cell with the counts and errors', () => {
    const text = formatChaosTable(report);
    const row = text.split('\n').find((line) => line.includes('kill -9 primary'));
    expect(row?.split('|').map((cell) => cell.trim())).toEqual([
      'PostgreSQL 15',
      'kill -9 primary',
      'sync',
      '2',
      '1 each',
      '196',
      '2',
      '0',
      '0',
      '2 (0)',
      '0',
      '0',
      '700 ms',
      '700 ms',
      'fail',
      'NO_PRIMARY 2, WRITE_OUTCOME_UNKNOWN 2',
    ]);
  });

  it('draws one timeline per trial, names the lost ids, and escapes labels', () => {
    const html = chaos.reportHtml({
      ...report,
      trials: report.trials.map((t) => ({
        ...t,
        events: [...t.events, { atMs: 2000, label: '<x>', kind: 'heal' }],
      })),
    });
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('lost 2: 17, 18');
    expect(html).toContain('&#60;x&#62;');
    expect(html).not.toContain('<x>');
    // The outage band carries its length.
    expect(html).toContain('>700 ms</text>');
  });
});

describe('faults', () => {
  it('covers the matrix of the issue, with unique names', () => {
    expect(chaos.ALL_FAULTS.map((fault) => fault.name)).toEqual([
      'kill-primary',
      'sigstop-primary',
      'blackhole-primary',
      'reset-all',
      'latency-primary',
      'partition-primary',
      'kill-replica',
      'two-failovers',
      'library-kill-primary',
      'library-sigstop-primary',
      'library-partition-primary',
    ]);
    expect(chaos.faultsNamed(['partition-primary'])[0]?.promoter).toBe('nobody');
    expect(chaos.faultsNamed(['library-partition-primary'])[0]).toMatchObject({
      promoter: 'library',
      promotions: 0,
    });
    expect(() => chaos.faultsNamed(['nope'])).toThrow(/Unknown fault "nope"/);
  });
});
