/**
 * `harness` in `failover-pool/testing`: the harness's details beyond startPgCluster and
 * startMariadbCluster (exported at the top): finding server binaries (and saying why there are none),
 * the environment variables it reads, and the types of nodes, queries and signals shared by every
 * engine's cluster.
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
