import type { PoolHealth } from '../../../src/core/health';
import type { TestCluster } from '../../../src/testing';
import { address } from './engine-fixture';
import { eventually } from './wait';

/** The port a node of `cluster` listens on, as the pool names it. */
export function portOf(cluster: TestCluster, node: string): number {
  return Number(address(cluster, node).split(':')[1]);
}

/** The primary's and both replicas' ports of a 3-node cluster (node1 primary). */
export function clusterPorts(cluster: TestCluster) {
  return {
    primaryPort: portOf(cluster, 'node1'),
    replicaPorts: [portOf(cluster, 'node2'), portOf(cluster, 'node3')],
  };
}

/** Until the pool's monitor has measured both replicas' staleness: before, no read goes to them. */
export async function replicasMeasured(pool: { health(): PoolHealth }): Promise<void> {
  await eventually(
    'both replicas measured',
    () => pool.health().nodes.filter((n) => n.role === 'replica' && n.lagMs !== undefined).length === 2,
    20_000,
  );
}
