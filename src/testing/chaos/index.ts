/**
 * `chaos` in `failover-pool/testing`: the parts of the chaos suite beyond its everyday entry points
 * (runChaos, the two engines, the report writers, exported at the top): single trials, the fault
 * list, the default workloads, the failover manager the suite plays, and the result types.
 */
export { awaitSynchronousStandby, promoteMostAdvanced } from './external-promoter';
export { ALL_FAULTS, faultsNamed } from './faults';
export { reportHtml } from './html';
export { type MariadbChaosEngineOptions, mariadbInsertWorkload } from './mariadb-engine';
export { type PgChaosEngineOptions, pgInsertWorkload } from './postgres-engine';
export type { CellSummary, TrialResult } from './results';
export { type ChaosRunOptions, mergeReports } from './run';
export { runTrial, type TrialSpec, type TrialTimings } from './trial';
export { DEFAULT_GAP_THRESHOLD_MS } from './trial-result';
export type { ChaosCluster, ChaosRow, FaultContext, TimelineEvent } from './types';
export type { WriterOptions } from './workload';
