import { errorsCell } from '../failover/print';
import type { CellSummary } from '../failover/summary';
import { formatMs, textTable } from '../lib/table';
import { GALERA_FAULT_NAMES, type GaleraFault } from './faults';

const HEADER = [
  'client',
  'fault',
  'recovered',
  'outage median',
  'outage max',
  'acked writes (median/trial)',
  'errors seen by the app (all trials)',
  'outcome unknown: applied / not',
  'acked writes lost',
  'doubled writes',
];

/**
 * A write done twice: a row present twice (impossible here: `id` is the primary key), or a write
 * the client reported failed (a duplicate key, say, on a re-run) whose row is there.
 */
const doubled = (c: CellSummary<GaleraFault>) =>
  c.duplicates + c.failedButApplied
    ? `${c.duplicates} rows twice, ${c.failedButApplied} failed but applied`
    : '0';

function rows(cells: readonly CellSummary<GaleraFault>[], neverAfterMs: number): string[][] {
  return cells.map((c) => [
    c.client,
    GALERA_FAULT_NAMES[c.fault],
    `${c.recovered}/${c.trials}${c.failedTrials ? ` (+${c.failedTrials} failed)` : ''}`,
    formatMs(c.outageMedianMs, neverAfterMs),
    formatMs(c.outageMaxMs, neverAfterMs),
    String(Math.round(c.ackedMedian)),
    errorsCell(c.errors, c.incidents),
    `${c.unknownApplied} / ${c.unknownNotApplied}`,
    c.lost ? `${c.lost} (max ${c.lostMax}/trial)` : '0',
    doubled(c),
  ]);
}

export const galeraTable = (cells: readonly CellSummary<GaleraFault>[], neverAfterMs: number): string =>
  textTable(HEADER, rows(cells, neverAfterMs));
