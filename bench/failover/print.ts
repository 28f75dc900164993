import { formatMs, markdownTable, textTable } from '../lib/table';
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

/** MariaDB's lossless mode is semi-synchronous (AFTER_SYNC): a replica has the commit, not applied it. */
export function replicationName(
  engine: CellSummary['engine'],
  replication: CellSummary['replication'],
): string {
  return engine === 'mysql' && replication === 'sync' ? 'semi-sync' : replication;
}

function errorsCell(errors: Record<string, number>, incidents: Record<string, number>): string {
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
    FAULT_NAMES[c.fault],
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
