/**
 * `runChaos`: the whole matrix for one engine, fault x replication mode x trials, one fresh
 * cluster per trial, run one after another (trials in parallel would fight for the CPU and blur
 * the outages they measure).
 */

import type { ReplicationMode } from '../cluster/test-cluster';
import { ALL_FAULTS } from './fault-list';
import type { CellSummary, ChaosReport, TrialResult } from './results';
import { summarizeCell } from './summary';
import { runTrial, type TrialTimings } from './trial';
import type { ChaosEngine, ChaosFault, ChaosWorkload } from './types';
import type { WriterOptions } from './workload';

export interface ChaosRunOptions<Pool> {
  engine: ChaosEngine<Pool>;
  /** What the app writes; default: the engine's single-row insert. */
  workload?: ChaosWorkload<Pool>;
  /** Default: every fault of ALL_FAULTS. */
  faults?: readonly ChaosFault[];
  /** Default: both. */
  replication?: readonly ReplicationMode[];
  /** Trials per cell. Default 5. */
  trials?: number;
  timings?: TrialTimings;
  writers?: WriterOptions;
  /** Called after each trial, e.g. to print progress. */
  onTrial?(result: TrialResult): void;
}

export async function runChaos<Pool>(options: ChaosRunOptions<Pool>): Promise<ChaosReport> {
  const trials = options.trials ?? 5;
  if (!Number.isInteger(trials) || trials < 1)
    throw new RangeError(`trials must be a positive integer, got ${trials}.`);
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const cells: CellSummary[] = [];
  const results: TrialResult[] = [];
  for (const fault of options.faults ?? ALL_FAULTS) {
    for (const replication of options.replication ?? (['async', 'sync'] as const)) {
      const cell: TrialResult[] = [];
      for (let trial = 1; trial <= trials; trial++) {
        const result = await runTrial({
          engine: options.engine,
          workload: options.workload ?? options.engine.defaultWorkload,
          fault,
          replication,
          trial,
          timings: options.timings,
          writers: options.writers,
        });
        cell.push(result);
        options.onTrial?.(result);
      }
      results.push(...cell);
      cells.push(summarizeCell(fault, cell));
    }
  }
  return {
    startedAt,
    durationMs: Math.round(performance.now() - started),
    trialsPerCell: trials,
    cells,
    trials: results,
  };
}

/** Several runs (one per engine) as one report. */
export function mergeReports(reports: readonly ChaosReport[]): ChaosReport {
  const first = reports[0];
  if (!first) throw new Error('No report to merge.');
  return {
    startedAt: first.startedAt,
    durationMs: reports.reduce((total, report) => total + report.durationMs, 0),
    trialsPerCell: first.trialsPerCell,
    cells: reports.flatMap((report) => report.cells),
    trials: reports.flatMap((report) => report.trials),
  };
}
