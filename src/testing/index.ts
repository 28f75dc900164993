/**
 * Test tooling, exported as `failover-pool/testing`. The everyday entry points are at the top
 * level; the rest of each tool is grouped under its name: `harness` (the test clusters' binaries,
 * node and query types), `faultProxy` (fault handles and options), `historyCheck` (what the
 * checker records and returns) and `chaos` (single trials, the faults, the result types).
 */

export * as chaos from './chaos/index';
export { mariadbChaosEngine } from './chaos/mariadb-engine';
export { pgChaosEngine } from './chaos/postgres-engine';
export { writeChaosReport } from './chaos/report-files';
export type { ChaosReport } from './chaos/results';
export { runChaos } from './chaos/run';
export { formatChaosTable } from './chaos/table';
export type { ChaosEngine, ChaosFault, ChaosWorkload } from './chaos/types';
export {
  type GaleraCluster,
  type GaleraClusterOptions,
  startGaleraCluster,
} from './cluster/galera-cluster';
export * as harness from './cluster/index';
export {
  type MariadbCluster,
  type MariadbClusterOptions,
  startMariadbCluster,
} from './cluster/mariadb-cluster';
export { type PgCluster, type PgClusterOptions, startPgCluster } from './cluster/postgres-cluster';
export type { TestCluster } from './cluster/test-cluster';
export type { FaultProxy, FaultProxyOptions } from './fault-proxy/fault-proxy';
export * as faultProxy from './fault-proxy/index';
export { createFaultProxy } from './fault-proxy/proxy';
export { checkHistory, createHistory, type HistoryRecorder } from './history';
export * as historyCheck from './history-check';
