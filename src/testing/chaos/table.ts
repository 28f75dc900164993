/** The matrix as a plain-text table for the terminal (and for pasting into an issue). */
import type { CellSummary, ChaosReport, TrialResult } from './results';

const HEADERS = [
  'engine',
  'fault',
  'repl',
  'trials',
  'ok writes',
  'lost',
  'dup',
  'fail+applied',
  'unknown (applied)',
  'strays',
  'hung',
  'outage med',
  'outage max',
  'verdict',
  'errors by class',
] as const;

const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);

/** `NO_PRIMARY 12, WRITE_OUTCOME_UNKNOWN 3`, most frequent first. */
export function formatErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0 ? '-' : entries.map(([name, count]) => `${name} ${count}`).join(', ');
}

export function cellRow(cell: CellSummary): string[] {
  return [
    cell.description,
    cell.title,
    cell.replication,
    cell.harnessErrors ? `${cell.trials} (${cell.harnessErrors} broken)` : String(cell.trials),
    String(cell.writesOk),
    String(cell.lost),
    String(cell.duplicated),
    String(cell.failedButApplied),
    `${cell.unknown} (${cell.unknownApplied})`,
    String(cell.strays + cell.foreignPrimaries),
    String(cell.hung),
    ms(cell.outageMedianMs),
    ms(cell.outageMaxMs),
    cell.verdict,
    formatErrors(cell.errors),
  ];
}

export function renderTable(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** The summary table, then one line per trial the harness could not finish, with its reason. */
export function formatChaosTable(report: ChaosReport): string {
  const lines = [renderTable(HEADERS, report.cells.map(cellRow))];
  const broken = report.trials.filter((trial): trial is TrialResult & { harnessError: string } =>
    Boolean(trial.harnessError),
  );
  for (const trial of broken) {
    lines.push(`broken trial: ${trial.fault} ${trial.replication} #${trial.trial}: ${trial.harnessError}`);
  }
  lines.push(
    `${report.trials.length} trials in ${Math.round(report.durationMs / 1000)} s; ` +
      'outage = time without a successful write per trial; strays = writes that reached a superseded or never-promoted node; hung = writes that never ended.',
  );
  return lines.join('\n');
}
