import pg from 'pg';
import type { PgCluster } from '../../../src/testing';
import { pollWritable, type WritableWatch } from '../writable-poll';

/** Polls `pg_is_in_recovery()` on `node` over a superuser connection until it says false. */
export async function watchWritable(cluster: PgCluster, node: string): Promise<WritableWatch> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: cluster.node(node).port,
    user: cluster.superuser.user,
    database: cluster.superuser.database,
    connectionTimeoutMillis: 5_000,
    query_timeout: 2_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return pollWritable(
    async () => {
      const result = await client.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
      return result.rows[0]?.recovery === false;
    },
    () => client.end(),
  );
}
