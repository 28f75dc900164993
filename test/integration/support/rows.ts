import type { harness, TestCluster } from '../../../src/testing';
import { eventually } from './wait';

/**
 * The ids in `table` on `node`, ascending, as strings, read by the harness's administrator in the
 * app's database: whatever the app's password is, on a read-only node too. `options` go to the
 * cluster's query (MariaDB's `readUncommitted`, say).
 */
export async function idsIn<Q extends harness.NodeQueryOptions>(
  cluster: TestCluster<harness.TestClusterNode, Q>,
  node: string,
  table: string,
  options?: Omit<Q, keyof harness.NodeQueryOptions>,
): Promise<string[]> {
  const rows = await cluster.query<{ id: number | string }>(node, `SELECT id FROM ${table} ORDER BY id`, [], {
    ...options,
    database: cluster.connectionOptions.database,
  } as Q);
  return rows.map((row) => String(row.id));
}

/** Waits until `node` holds every one of `ids` in `table` (replication runs a moment behind). */
export async function waitForIds(
  cluster: TestCluster,
  node: string,
  table: string,
  ids: number[],
): Promise<void> {
  await eventually(`${node} to hold ${table} ${ids.join(', ')}`, async () => {
    const present = await idsIn(cluster, node, table);
    return ids.every((id) => present.includes(String(id)));
  });
}
