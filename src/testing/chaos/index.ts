/** The chaos suite, public so that apps can run the same matrix against their own code. */
export { failover, noteSynchronousStandby } from './external-promoter';
export { CHAOS_FAULTS, faultsNamed } from './faults';
export { chaosReportHtml } from './html';
export {
  type MariadbChaosEngineOptions,
  mariadbChaosEngine,
  mariadbInsertWorkload,
} from './mariadb-engine';
export { type PgChaosEngineOptions, pgChaosEngine, pgInsertWorkload } from './postgres-engine';
export { writeChaosReport } from './report-files';
export type { CellSummary, ChaosReport, TrialResult } from './results';
export { type ChaosRunOptions, mergeReports, runChaos } from './run';
export { formatChaosTable } from './table';
export { runTrial, type TrialSpec, type TrialTimings } from './trial';
export { DEFAULT_GAP_THRESHOLD_MS } from './trial-result';
export type {
  ChaosCluster,
  ChaosEngine,
  ChaosFault,
  ChaosRow,
  ChaosSignal,
  ChaosWorkload,
  FaultContext,
  Replication,
  TimelineEvent,
} from './types';
export { defaultOutcomeOf, type WriterOptions } from './workload';
