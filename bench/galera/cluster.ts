import type { GaleraCluster } from '../../src/testing';
import { WRITES_SETUP } from '../failover/harness-kit';
import { readBack } from '../failover/read-back';
import type { BenchCluster, ClusterKit, Endpoints } from '../failover/types';
import { galeraUnavailable, startBenchGaleraCluster } from '../lib/galera-cluster';
import { type FaultPacing, GALERA_SCENARIOS, type GaleraFault, injectGaleraFault } from './faults';

/** A fresh three-node Galera cluster per trial, as the failover bench's kits give theirs. */
function benchCluster(cluster: GaleraCluster, pacing: FaultPacing): BenchCluster<GaleraFault> {
  const { user, password, database } = cluster.connectionOptions;
  // Causal reads: a node applies a certified commit in its own time; without them a row committed
  // through another node a moment before the read-back could be counted as lost.
  const reads = readBack((node, sql, limits) =>
    cluster.query(node, sql, [], { as: 'app', causal: true, ...limits }),
  );
  const endpoints: Endpoints = {
    engine: 'mysql',
    hosts: cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
    user,
    password,
    database,
  };
  return {
    endpoints,
    nodeNames: cluster.nodes.map((n) => n.name),
    version: `${cluster.description} (${cluster.serverVersion}, ${cluster.binaries.provider})`,
    inject: (scenario) => injectGaleraFault(cluster, scenario.fault, pacing),
    ...reads,
    destroy: () => cluster.destroy(),
  };
}

/** The failover bench's cluster kit for Galera: the mysql2 side (the clients are the MariaDB ones). */
export function galeraKit(pacing: FaultPacing): ClusterKit<GaleraFault> {
  return {
    engine: 'mysql',
    scenarios: GALERA_SCENARIOS,
    unavailable: galeraUnavailable,
    async start() {
      return benchCluster(await startBenchGaleraCluster({}, WRITES_SETUP), pacing);
    },
  };
}
