import { formatMs, markdownTable, textTable } from '../lib/table';
import { skippedText } from '../promotion/events';
import { replicationName } from './print';
import { timeoutsLabel } from './receive-timeouts';
import type { CellSummary } from './summary';

/**
 * Promotion by the library beside the external promoter, fault by fault: the cells of the library's
 * client and those of failover-pool with the harness promoting, from the same run.
 */
const HEADER = [
  'fault',
  'replication',
  'promoted by',
  'receive timeout',
  'trials',
  'promotions per trial',
  'writable after fault (median)',
  'outage median',
  'outage max',
  'from writable median',
  'acked writes lost',
  'promotionSkipped seen (all instances, all trials)',
];

const FAULTS: Record<CellSummary['fault'], string> = {
  switchover: 'switchover',
  kill9: 'kill -9',
  sigstop: 'SIGSTOP',
};
const HARNESS_AFTER: Record<CellSummary['fault'], string> = {
  switchover: '',
  kill9: '500 ms',
  sigstop: '2 s',
};

/** The library's cells and, for the same faults, failover-pool's with the harness promoting. */
export function promotionCells(cells: readonly CellSummary[]): CellSummary[] {
  const library = cells.filter((c) => c.promoter === 'library');
  const faults = new Set(library.map((c) => c.fault));
  const beside = cells.filter(
    (c) => c.promoter === 'harness' && c.client === 'failover-pool' && faults.has(c.fault),
  );
  const order = (c: CellSummary) =>
    [c.fault, c.replication, c.promoter === 'harness' ? 0 : 1, c.timeouts === 'recommended' ? 0 : 1].join(
      '/',
    );
  return [...beside, ...library].sort((a, b) => order(a).localeCompare(order(b)));
}

function rows(cells: readonly CellSummary[], neverAfterMs: number): string[][] {
  return promotionCells(cells).map((c) => [
    FAULTS[c.fault],
    replicationName(c.engine, c.replication),
    c.promoter === 'library' ? 'library (3 app instances)' : `harness, after ${HARNESS_AFTER[c.fault]}`,
    c.promoter === 'library' && c.fault === 'sigstop' ? timeoutsLabel(c.engine, c.timeouts) : '-',
    `${c.trials}${c.failedTrials ? ` (+${c.failedTrials} failed)` : ''}`,
    c.promoter === 'library' ? c.promotionsPerTrial.join(', ') || '-' : '-',
    formatMs(c.writableAfterMedianMs),
    formatMs(c.outageMedianMs, neverAfterMs),
    formatMs(c.outageMaxMs, neverAfterMs),
    formatMs(c.fromWritableMedianMs, neverAfterMs),
    c.lost ? `${c.lost} (max ${c.lostMax}/trial)` : '0',
    c.promoter === 'library' ? skippedText(c.skipped) : '-',
  ]);
}

export const promotionTable = (cells: readonly CellSummary[], neverAfterMs: number): string =>
  textTable(HEADER, rows(cells, neverAfterMs));

export const promotionMarkdown = (cells: readonly CellSummary[], neverAfterMs: number): string =>
  markdownTable(HEADER, rows(cells, neverAfterMs));

/** Issue 12's goal for kill -9 (median outage <= 1 s, max <= 2 s), and what each library trial noticed. */
export function promotionVerdicts(cells: readonly CellSummary[]): string[] {
  const lines: string[] = [];
  for (const c of cells.filter((cell) => cell.promoter === 'library')) {
    const timeouts = c.fault === 'sigstop' ? `, ${timeoutsLabel(c.engine, c.timeouts)}` : '';
    const mode = `${FAULTS[c.fault]} ${replicationName(c.engine, c.replication)}${timeouts}`;
    if (c.fault === 'kill9') {
      const median = c.outageMedianMs <= 1_000 ? 'met' : 'MISSED';
      const max = c.outageMaxMs <= 2_000 ? 'met' : 'MISSED';
      lines.push(
        `${mode}: outage median ${formatMs(c.outageMedianMs)} (goal <= 1 s: ${median}), max ${formatMs(c.outageMaxMs)} (goal <= 2 s: ${max})`,
      );
    }
    const wrong = c.promotionsPerTrial.filter((n) => n !== 1).length;
    if (wrong > 0) lines.push(`${mode}: ${wrong} trial(s) without exactly one promotion`);
    for (const [note, n] of Object.entries(c.notes)) lines.push(`${mode}, ${n} trial(s): ${note}`);
    for (const error of c.trialErrors) lines.push(`${mode}, ${error}`);
  }
  return lines;
}
