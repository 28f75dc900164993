/** Folds a cell's trials into one line of the matrix. */
import type { CellSummary, TrialResult } from './results';
import type { ChaosFault } from './types';

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarizeCell(fault: ChaosFault, trials: readonly TrialResult[]): CellSummary {
  const first = trials[0];
  if (!first) throw new Error(`No trials for ${fault.name}.`);
  const sum = (pick: (trial: TrialResult) => number) =>
    trials.reduce((total, trial) => total + pick(trial), 0);
  const errors: Record<string, number> = {};
  for (const trial of trials) {
    for (const [name, count] of Object.entries(trial.errors)) errors[name] = (errors[name] ?? 0) + count;
  }
  // Trials the harness did not finish have no meaningful outage.
  const outages = trials.filter((trial) => !trial.harnessError).map((trial) => trial.outageMs);
  const maxOutage = outages.length > 0 ? Math.max(...outages) : undefined;
  const summary: Omit<CellSummary, 'verdict'> = {
    engine: first.engine,
    description: first.description,
    fault: fault.name,
    title: fault.title,
    replication: first.replication,
    trials: trials.length,
    harnessErrors: trials.filter((trial) => trial.harnessError).length,
    writesOk: sum((trial) => trial.writes.ok),
    lost: sum((trial) => trial.lost),
    duplicated: sum((trial) => trial.duplicated),
    failedButApplied: sum((trial) => trial.failedButApplied),
    unknown: sum((trial) => trial.writes.unknown),
    unknownApplied: sum((trial) => trial.unknownApplied),
    strays: sum((trial) => trial.strays),
    foreignPrimaries: sum((trial) => trial.foreignPrimaries.length),
    hung: sum((trial) => trial.hung),
    outageMedianMs: median(outages),
    outageMaxMs: maxOutage,
    errors,
  };
  return { ...summary, verdict: verdictOf(summary, fault) };
}

/**
 * Losing acknowledged writes is expected only where a replica was promoted under asynchronous
 * replication; everything else the checker finds is a failure.
 */
function verdictOf(cell: Omit<CellSummary, 'verdict'>, fault: ChaosFault): CellSummary['verdict'] {
  const wrong =
    cell.duplicated +
    cell.failedButApplied +
    cell.strays +
    cell.foreignPrimaries +
    cell.hung +
    cell.harnessErrors;
  if (wrong > 0) return 'fail';
  if (cell.lost === 0) return 'pass';
  return cell.replication === 'async' && fault.promoter === 'harness' ? 'loss-expected' : 'fail';
}
