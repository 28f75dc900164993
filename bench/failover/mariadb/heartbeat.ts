import type { MariadbCluster } from '../../../src/testing';
import { MARIADB_HEARTBEAT_S } from '../receive-timeouts';
import type { ReceiveTimeouts } from '../types';

/**
 * Sets the heartbeat period of `timeouts` on every replica of a fresh cluster (a replica setting:
 * CHANGE MASTER, with the replica stopped) and checks that the server took it. A cluster that could
 * not be set up is destroyed here.
 */
export async function withHeartbeat(
  cluster: MariadbCluster,
  timeouts: ReceiveTimeouts,
): Promise<MariadbCluster> {
  const seconds = MARIADB_HEARTBEAT_S[timeouts];
  if (seconds === undefined) return cluster;
  try {
    for (const { name } of cluster.nodes.filter((node) => node.name !== cluster.primary)) {
      await cluster.query(name, 'STOP SLAVE');
      await cluster.query(name, `CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = ${seconds}`);
      await cluster.query(name, 'START SLAVE');
      // Semi-sync: also until it acknowledges again, or the primary's next commit would wait.
      await cluster.waitForReplicating(name);
      const [row] = await cluster.query<{ Value: string }>(name, "SHOW STATUS LIKE 'Slave_heartbeat_period'");
      if (Number(row?.Value) !== seconds)
        throw new Error(`${name}: heartbeat period ${row?.Value}, not ${seconds}`);
    }
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
