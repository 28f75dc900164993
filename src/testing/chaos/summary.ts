/** Folds a cell's trials into one line of the matrix. */
import type { CellSummary, TrialResult } from './results';
import type { ChaosFault } from './types';

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Counts by name over the trials. */
function totals(trials: readonly TrialResult[], pick: (trial: TrialResult) => Record<string, number>) {
  const total: Record<string, number> = {};
  for (const trial of trials) {
    for (const [name, count] of Object.entries(pick(trial))) total[name] = (total[name] ?? 0) + count;
  }
  return total;
}

export function summarizeCell(fault: ChaosFault, trials: readonly TrialResult[]): CellSummary {
  const first = trials[0];
  if (!first) throw new Error(`No trials for ${fault.name}.`);
  const sum = (pick: (trial: TrialResult) => number) =>
    trials.reduce((total, trial) => total + pick(trial), 0);
  // Trials the harness did not finish count as broken, nothing more: their outage, promotions and
  // resumption mean nothing.
  const complete = trials.filter((trial) => !trial.harnessError);
  const outages = complete.map((trial) => trial.outageMs);
  const maxOutage = outages.length > 0 ? Math.max(...outages) : undefined;
  const summary: Omit<CellSummary, 'verdict'> = {
    engine: first.engine,
    description: first.description,
    fault: fault.name,
    title: fault.title,
    replication: first.replication,
    trials: trials.length,
    harnessErrors: trials.length - complete.length,
    promotions: trials.map((trial) => trial.promotions),
    expectedPromotions: fault.promotions,
    wrongPromotions: complete.filter((trial) => trial.promotions !== fault.promotions).length,
    notResumed: complete.filter((trial) => !trial.resumed).length,
    libraryFailures: complete.filter((trial) => trial.libraryFailures.length > 0).length,
    promotionSkips: totals(trials, (trial) => trial.promotionSkips),
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
    errors: totals(trials, (trial) => trial.errors),
  };
  return { ...summary, verdict: verdictOf(summary, fault) };
}

/**
 * Losing acknowledged writes is expected only where a replica was promoted under asynchronous
 * replication (by the harness or by the library); everything else the checker finds is a failure.
 */
function verdictOf(cell: Omit<CellSummary, 'verdict'>, fault: ChaosFault): CellSummary['verdict'] {
  const wrong =
    cell.duplicated +
    cell.failedButApplied +
    cell.strays +
    cell.foreignPrimaries +
    cell.hung +
    cell.harnessErrors +
    cell.wrongPromotions +
    cell.notResumed +
    cell.libraryFailures;
  if (wrong > 0) return 'fail';
  if (cell.lost === 0) return 'pass';
  return cell.replication === 'async' && fault.promotions > 0 ? 'loss-expected' : 'fail';
}
