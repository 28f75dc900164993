/**
 * `historyCheck` in `failover-pool/testing`: the history checker beyond createHistory,
 * checkHistory and HistoryRecorder (exported at the top): what it records per operation, how a
 * failed write is counted by default, what a check returns, and its printed report.
 */
export {
  type CheckOptions,
  type CheckResult,
  type ErrorClass,
  errorClassOf,
  type HistoryOp,
  type OpHandle,
  type OpId,
  type OpOutcome,
  type Outage,
} from './history';
export { formatReport } from './history-report';
export { defaultOutcomeOf } from './outcome';
