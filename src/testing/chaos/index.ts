/**
 * `chaos` in `failover-pool/testing`: the parts of the chaos suite beyond its everyday entry points
 * (runChaos, the two engines, the report writers, exported at the top): single trials, the fault
 * list, the default workloads, the failover manager the suite plays (its faults with promotion by
 * the library need none), and the result types.
 */
export { awaitSynchronousStandby, promoteMostAdvanced } from './external-promoter';
export { ALL_FAULTS, faultsNamed } from './fault-list';
export { reportHtml } from './html';
export { type MariadbChaosEngineOptions, mariadbInsertWorkload } from './mariadb-engine';
export { type PgChaosEngineOptions, pgInsertWorkload } from './postgres-engine';
export type { CellSummary, TrialResult } from './results';
export { type ChaosRunOptions, mergeReports } from './run';
export { runTrial, type TrialSpec, type TrialTimings } from './trial';
export { DEFAULT_GAP_THRESHOLD_MS } from './trial-result';
export type {
  ChaosCluster,
  ChaosPromoter,
  ChaosRow,
  FaultContext,
  LibraryPromotion,
  LibraryPromotionEvent,
  TimelineEvent,
} from './types';
export type { WriterOptions } from './workload';
