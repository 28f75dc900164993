// Test tooling, exported as `failover-pool/testing`.

export * from './chaos/index';
export {
  type FindPgBinariesOptions,
  findPgBinaries,
  PG_BIN_ENV,
  type PgBinaries,
  type PgBinarySource,
  type PgSourcePreference,
} from './cluster/binaries';
export {
  type FindMariadbBinariesOptions,
  findMariadbBinaries,
  MARIADB_BIN_ENV,
  type MariadbBinaries,
} from './cluster/mariadb-binaries';
export {
  type MariadbCluster,
  type MariadbClusterNode,
  type MariadbClusterOptions,
  type MariadbKillSignal,
  type MariadbQueryOptions,
  startMariadbCluster,
} from './cluster/mariadb-cluster';
export {
  type PgCluster,
  type PgClusterNode,
  type PgClusterOptions,
  type PgKillSignal,
  type PgQueryOptions,
  startPgCluster,
  TMPDIR_ENV,
} from './cluster/postgres-cluster';
export * from './fault-proxy/index';
export {
  type CheckOptions,
  type CheckResult,
  checkHistory,
  createHistory,
  type ErrorClass,
  errorClassOf,
  type HistoryOp,
  type HistoryRecorder,
  type OpHandle,
  type OpId,
  type OpOutcome,
  type Outage,
} from './history';
export { formatReport } from './history-report';
