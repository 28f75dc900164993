import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type MariadbCluster, startMariadbCluster } from '../../src/testing';
import { withMariadbSession } from '../../src/testing/cluster/mariadb-client';
import { mariadbUnavailable } from './support/mariadb-cluster';

/*
 * startMariadbCluster({ proxies: true }), as the chaos suite uses it: the app reaches every node
 * through its own fault proxy, while the replicas keep replicating from the primary directly. A
 * fault on a proxy must cut the app alone.
 */

let cluster: MariadbCluster | undefined;

afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

/** What the server behind `hostPort` (a proxy's address) says its port is, asked as the app account. */
async function portBehind(hostPort: string, connectTimeoutMs = 5_000): Promise<number> {
  const { user, password } = cluster!.connectionOptions;
  const rows = await withMariadbSession(
    { port: Number(hostPort.split(':')[1]), user, password, connectTimeoutMs },
    (run) => run<{ port: number }>('SELECT @@port AS port'),
  );
  return Number(rows[0]?.port);
}

function refused(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

describe.skipIf(mariadbUnavailable() !== undefined)('startMariadbCluster({ proxies: true })', () => {
  it('puts a mysql proxy before each node; a partition of the primary from the app leaves replication running', async () => {
    cluster = await startMariadbCluster({ replicas: 1, proxies: true });
    const { hosts } = cluster.connectionOptions;
    for (const [index, node] of cluster.nodes.entries()) {
      const proxy = cluster.proxy(node.name);
      expect(hosts[index]).toBe(`${proxy.host}:${proxy.port}`);
      expect(proxy.target).toEqual({ host: '127.0.0.1', port: node.port });
      expect(proxy.protocol).toBe('mysql');
      // Each proxy really reaches its own node.
      expect(await portBehind(hosts[index]!)).toBe(node.port);
    }

    const partition = cluster.proxy('node1').blackhole();
    await expect(portBehind(hosts[0]!, 1_000)).rejects.toThrow();
    // The replica still replicates from the real primary, and receives what it writes.
    await cluster.query('node1', 'CREATE TABLE app.notes (id INT)');
    await cluster.query('node1', 'INSERT INTO app.notes VALUES (2)');
    await cluster.waitForReplicating('node2', 30_000, 'node1');
    const [position] = await cluster.query<{ pos: string }>('node1', 'SELECT @@gtid_binlog_pos AS pos');
    const [applied] = await cluster.query<{ done: number }>(
      'node2',
      'SELECT MASTER_GTID_WAIT(?, 30) AS done',
      [position?.pos],
    );
    expect(Number(applied?.done)).toBe(0);
    expect(await cluster.query('node2', 'SELECT id FROM app.notes')).toEqual([{ id: 2 }]);
    await partition.off();

    const proxies = cluster.nodes.map((node) => cluster!.proxy(node.name));
    await cluster.destroy();
    for (const proxy of proxies) expect(await refused(proxy.port)).toBe('ECONNREFUSED');
  });

  it('has no proxies unless asked', async () => {
    cluster = await startMariadbCluster({ replicas: 0 });
    expect(cluster.connectionOptions.hosts).toEqual([`127.0.0.1:${cluster.node('node1').port}`]);
    expect(() => cluster!.proxy('node1')).toThrow(/proxies: true/);
  });
});
