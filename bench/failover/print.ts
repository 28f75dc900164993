import { formatMs, markdownTable, textTable } from '../lib/table';
import { timeoutsLabel } from './receive-timeouts';
import type { CellSummary } from './summary';

const HEADER = [
  'client',
  'fault',
  'replication',
  'recovered',
  'outage median',
  'outage max',
  'from writable median',
  'from writable max',
  'errors seen by the app (all trials)',
  'non-primary writes',
  'acked writes lost',
];

const FAULT_NAMES: Record<CellSummary['fault'], string> = {
  switchover: 'planned switchover',
  kill9: 'kill -9, promote after 500 ms',
  sigstop: 'SIGSTOP, promote after 2 s',
};

const LIBRARY_FAULT_NAMES: Record<CellSummary['fault'], string> = {
  switchover: 'planned switchover',
  kill9: 'kill -9, promoted by the library',
  sigstop: 'SIGSTOP (lasting), promoted by the library',
};

type ScenarioOf = Pick<CellSummary, 'engine' | 'fault' | 'promoter' | 'timeouts'>;

/** The fault and who repaired the cluster, with the receive timeouts where they are not the harness's. */
export function faultName(c: ScenarioOf): string {
  // A report written before library promotion has no promoter: the harness promoted.
  if (c.promoter !== 'library') return FAULT_NAMES[c.fault];
  const name = LIBRARY_FAULT_NAMES[c.fault];
  return c.timeouts === 'harness' ? name : `${name}, ${timeoutsLabel(c.engine, c.timeouts)}`;
}

/** One scenario as one label (the HTML report's timelines). */
export const scenarioName = (c: ScenarioOf & Pick<CellSummary, 'replication'>): string =>
  `${faultName(c)}, ${replicationName(c.engine, c.replication)}`;

/** MariaDB's lossless mode is semi-synchronous (AFTER_SYNC): a replica has the commit, not applied it. */
export function replicationName(
  engine: CellSummary['engine'],
  replication: CellSummary['replication'],
): string {
  return engine === 'mysql' && replication === 'sync' ? 'semi-sync' : replication;
}

/** The errors the app saw, most frequent first, and the incidents outside any call in brackets. */
export function errorsCell(errors: Record<string, number>, incidents: Record<string, number>): string {
  const parts = Object.entries(errors)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} x${n}`);
  const shown = parts.length > 4 ? [...parts.slice(0, 4), `+${parts.length - 4} more`] : parts;
  for (const [what, n] of Object.entries(incidents)) shown.push(`[${what} x${n}]`);
  return shown.join(', ') || 'none';
}

function rows(cells: readonly CellSummary[], neverAfterMs: number): string[][] {
  return cells.map((c) => [
    c.client,
    faultName(c),
    replicationName(c.engine, c.replication),
    `${c.recovered}/${c.trials}${c.failedTrials ? ` (+${c.failedTrials} failed)` : ''}`,
    formatMs(c.outageMedianMs, neverAfterMs),
    formatMs(c.outageMaxMs, neverAfterMs),
    formatMs(c.fromWritableMedianMs, neverAfterMs),
    formatMs(c.fromWritableMaxMs, neverAfterMs),
    errorsCell(c.errors, c.incidents),
    String(c.nonPrimaryWrites),
    c.lost ? `${c.lost} (max ${c.lostMax}/trial)` : '0',
  ]);
}

export function failoverTable(cells: readonly CellSummary[], neverAfterMs: number): string {
  return textTable(HEADER, rows(cells, neverAfterMs));
}

export function failoverMarkdown(cells: readonly CellSummary[], neverAfterMs: number): string {
  return markdownTable(HEADER, rows(cells, neverAfterMs));
}
