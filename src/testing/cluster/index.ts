/**
 * `harness` in `failover-pool/testing`: the harness's details beyond startPgCluster,
 * startMariadbCluster and startGaleraCluster (exported at the top): finding server binaries (and
 * saying why there are none), the environment variables it reads, Galera's default provider
 * options, and the types of nodes, queries and signals shared by every engine's cluster.
 */
export {
  type FindPgBinariesOptions,
  findPgBinaries,
  PG_BIN_ENV,
  type PgBinaries,
  type PgBinarySource,
  type PgSourcePreference,
} from './binaries';
export { type CommonClusterOptions, TMPDIR_ENV } from './cluster-setup';
export {
  type FindGaleraBinariesOptions,
  findGaleraBinaries,
  findGaleraProvider,
  GALERA_PROVIDER_ENV,
  type GaleraBinaries,
} from './galera-binaries';
export type { GaleraClusterNode, GaleraQueryOptions } from './galera-cluster';
export { GALERA_PROVIDER_DEFAULTS, type GaleraPorts, type GaleraProviderOptions } from './galera-config';
export type { GaleraNodeStatus } from './galera-status';
export {
  type FindMariadbBinariesOptions,
  findMariadbBinaries,
  MARIADB_BIN_ENV,
  type MariadbBinaries,
} from './mariadb-binaries';
export type { MariadbClusterNode, MariadbQueryOptions } from './mariadb-cluster';
export { missingServer } from './missing-server';
export type {
  ClusterConnectionOptions,
  NodeQueryOptions,
  NodeSignal,
  ReplicationMode,
  StopMode,
  TestClusterNode,
} from './test-cluster';
