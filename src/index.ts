/**
 * `failover-pool`: errors, events and types shared by every driver. Importing this entry point
 * loads no database driver; the pools live in `failover-pool/pg` and `failover-pool/mysql2`.
 */
export {
  ClusterMismatchError,
  CommitOutcomeUnknownError,
  type CommitOutcomeUnknownReason,
  ConfigError,
  type ErrorContext,
  FailoverPoolError,
  type FailoverPoolErrorCode,
  type NodeRoleName,
  NodeUnavailableError,
  type NodeUnavailableReason,
  NoPrimaryError,
  type NoPrimaryReason,
  NoReplicaError,
  PoolEndedError,
  SplitBrainError,
  TransactionAttemptsExhaustedError,
  WriteOutcomeUnknownError,
} from './core/errors';
export type {
  ClusterMismatchEvent,
  FailoverEvents,
  NodeAbandonedEvent,
  NodeDownEvent,
  NodeUpEvent,
  PrimaryChangedEvent,
  PrimaryLostEvent,
  RetryEvent,
  SplitBrainEvent,
  TransactionRetryEvent,
  TransactionRetryReason,
} from './core/events';
export { findFailoverError } from './core/find-error';
export type { NodeHealth, PoolHealth, UnhealthyReason } from './core/health';
export type { HostSpec } from './core/hosts';
export type { WritesLostEvent } from './core/loss/writes-lost';
export type { MeterProviderLike } from './core/metrics/meter-like';
export type { PoolMetricsSnapshot } from './core/metrics/pool-metrics';
export type { ExclusionReason, NodeView, ReplicationLink } from './core/node';
export type { FailoverOptions, MetricsOptions, MonitorOptions } from './core/options';
export type { QueryFlags } from './core/query-flags';
export type { HeartbeatOptions } from './core/reads/heartbeat-options';
export type { ReadsOptions } from './core/reads/options';
export type { RetryReason } from './core/retry';
export type { Topology } from './core/topology';
export type { IsolationLevel } from './core/transaction-dialect';
export type { IdempotencyKeys, TransactionOptions, TransactionsOptions } from './core/transaction-options';
export type { TransactionFunction } from './core/transaction-runner';
