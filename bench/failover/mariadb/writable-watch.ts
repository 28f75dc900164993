import mysql from 'mysql2/promise';
import type { MariadbCluster } from '../../../src/testing';
import { within } from '../../lib/time';
import { pollWritable, type WritableWatch } from '../writable-poll';

/**
 * Polls `@@global.read_only` on `node` over an admin connection until it is off: the moment the
 * harness's promotion (or switchover) makes the node take writes from the app account.
 */
export async function watchWritable(cluster: MariadbCluster, node: string): Promise<WritableWatch> {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port: cluster.node(node).port,
    user: cluster.admin.user,
    password: cluster.admin.password,
    connectTimeout: 5_000,
  });
  connection.on('error', () => undefined);
  return pollWritable(
    async () => {
      const [rows] = await connection.query<mysql.RowDataPacket[]>({
        sql: 'SELECT @@global.read_only AS ro',
        timeout: 2_000,
      });
      return Number(rows[0]?.ro) === 0;
    },
    // end() waits for the server's goodbye; a node that stopped answering must not hold the bench.
    async () => {
      const ended = await within(
        connection.end().then(() => true),
        1_000,
        false,
      );
      if (!ended) connection.destroy();
    },
  );
}
