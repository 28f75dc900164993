/** The matrix as a plain-text table for the terminal (and for pasting into an issue). */
import type { CellSummary, ChaosReport, TrialResult } from './results';

const HEADERS = [
  'engine',
  'fault',
  'repl',
  'trials',
  'promotions',
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

/** `1 each` when every trial promoted the same number of times, else each trial's count: `1/0/1`. */
export function formatPromotions(cell: CellSummary): string {
  const [first] = cell.promotions;
  if (cell.promotions.every((count) => count === first)) {
    return cell.trials > 1 ? `${first} each` : String(first);
  }
  return cell.promotions.join('/');
}

/** What went wrong in a trial besides the counts of the table, one phrase each. */
export function trialNotes(trial: TrialResult): string[] {
  // A trial the harness could not finish has no meaningful counts.
  if (trial.harnessError) return [trial.harnessError];
  const notes: string[] = [];
  if (trial.promotions !== trial.expectedPromotions) {
    notes.push(`${trial.promotions} promotions, ${trial.expectedPromotions} expected`);
  }
  if (!trial.resumed) notes.push('no write acknowledged after the recovery');
  return [...notes, ...trial.libraryFailures];
}

export function cellRow(cell: CellSummary): string[] {
  return [
    cell.description,
    cell.title,
    cell.replication,
    cell.harnessErrors ? `${cell.trials} (${cell.harnessErrors} broken)` : String(cell.trials),
    formatPromotions(cell),
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

/**
 * The summary table; then why app instances did not promote, per cell (promotion by the library);
 * then one line per trial that went wrong beyond the counts (the harness could not finish it, the
 * wrong number of promotions, writes that never resumed, a former primary never fenced), with its
 * reason.
 */
export function formatChaosTable(report: ChaosReport): string {
  const lines = [renderTable(HEADERS, report.cells.map(cellRow))];
  for (const cell of report.cells) {
    if (Object.keys(cell.promotionSkips).length === 0) continue;
    lines.push(
      `${cell.description} ${cell.title} ${cell.replication}: not promoting, by reason: ${formatErrors(cell.promotionSkips)}`,
    );
  }
  for (const trial of report.trials) {
    const notes = trialNotes(trial);
    if (notes.length === 0) continue;
    const what = trial.harnessError ? 'broken trial' : 'failed trial';
    lines.push(
      `${what}: ${trial.engine} ${trial.fault} ${trial.replication} #${trial.trial}: ${notes.join('; ')}`,
    );
  }
  lines.push(
    `${report.trials.length} trials in ${Math.round(report.durationMs / 1000)} s; ` +
      'outage = time without a successful write per trial; strays = writes that reached a superseded or never-promoted node; hung = writes that never ended.',
  );
  return lines.join('\n');
}
