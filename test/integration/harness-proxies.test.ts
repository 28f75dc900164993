import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgPool, type FailoverPgPool } from '../../src/drivers/pg';
import { type PgCluster, startPgCluster } from '../../src/testing';
import { pgSources } from './support/pg-cluster';

/*
 * startPgCluster({ proxies: true }): the app reaches every node through its own fault proxy, while
 * the standbys keep streaming from the primary directly. A fault on a proxy must cut the app alone.
 */

const [source] = pgSources();

let cluster: PgCluster | undefined;
let pool: FailoverPgPool | undefined;
const clients: pg.Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.connection.stream.destroy();
  await pool?.end();
  await cluster?.destroy();
  pool = undefined;
  cluster = undefined;
});

/** A session as the app role to `host:port` (a proxy's address from connectionOptions.hosts). */
async function appClient(hostPort: string, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const [host, port] = hostPort.split(':');
  const { user, password, database } = cluster!.connectionOptions;
  const client = new pg.Client({ host, port: Number(port), user, password, database, ...extra });
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

/** Whether `replica` shows note 2, polled for a while (replay runs a moment behind streaming). */
async function replayedNote2(replica: string): Promise<boolean> {
  for (let tries = 0; tries < 100; tries++) {
    const rows = await cluster!.query(replica, 'SELECT 1 FROM notes WHERE id = 2', [], { database: 'app' });
    if (rows.length > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
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

describe.skipIf(!source)('startPgCluster({ proxies: true })', () => {
  it('lists one proxy per node in connectionOptions.hosts, each forwarding to its node', async () => {
    cluster = await startPgCluster({ source, proxies: true });
    const names = cluster.nodes.map((node) => node.name);
    expect(cluster.connectionOptions.hosts).toEqual(
      names.map((name) => `${cluster!.proxy(name).host}:${cluster!.proxy(name).port}`),
    );
    for (const node of cluster.nodes) {
      const proxy = cluster.proxy(node.name);
      expect(proxy.target).toEqual({ host: '127.0.0.1', port: node.port });
      expect(proxy.port).not.toBe(node.port);
      expect(proxy.protocol).toBe('postgres');
    }
    // Each proxy really reaches its own node: the server reports the port it listens on.
    for (const [index, hostPort] of cluster.connectionOptions.hosts.entries()) {
      const client = await appClient(hostPort);
      const { rows } = await client.query<{ port: string }>("SELECT current_setting('port') AS port");
      expect(Number(rows[0]?.port)).toBe(cluster.nodes[index]?.port);
    }
    expect(cluster.proxy('node1').stats().accepted).toBeGreaterThan(0);
    expect(() => cluster!.proxy('node9')).toThrow(/node9/);
  });

  it('carries the pool; a partition of the primary from the app leaves replication running', async () => {
    cluster = await startPgCluster({ source, proxies: true });
    pool = createPgPool({ ...cluster.connectionOptions, query_timeout: 20_000 });
    await pool.query('CREATE TABLE notes (id int)');
    await pool.query('INSERT INTO notes VALUES (1)');
    expect(pool.topology().primary).toBe(cluster.connectionOptions.hosts[0]);

    const partition = cluster.proxy('node1').blackhole();
    // The app cannot get through any more...
    await expect(
      appClient(cluster.connectionOptions.hosts[0]!, { connectionTimeoutMillis: 1_000 }),
    ).rejects.toThrow();
    // ...while the standbys still stream from the real primary, and receive what it writes.
    await cluster.query('node1', 'INSERT INTO notes VALUES (2)', [], { database: 'app' });
    for (const replica of ['node2', 'node3']) {
      await cluster.waitForStreaming(replica, 30_000, 'node1');
      const [receiver] = await cluster.query<{ sender_port: number }>(
        replica,
        'SELECT sender_port FROM pg_stat_wal_receiver',
      );
      expect(receiver?.sender_port).toBe(cluster.node('node1').port);
      expect(await replayedNote2(replica)).toBe(true);
    }
    await partition.off();
    await pool.end();
    pool = undefined;
  });

  it('destroy() closes every proxy and its connections, also after a fault', async () => {
    cluster = await startPgCluster({ source, proxies: true });
    const proxies = cluster.nodes.map((node) => cluster!.proxy(node.name));
    await appClient(cluster.connectionOptions.hosts[1]!);
    expect(proxies[1]?.stats().open).toBe(1);
    cluster.proxy('node1').latency(50);
    await cluster.destroy();
    for (const proxy of proxies) {
      expect(proxy.stats().open).toBe(0);
      expect(await refused(proxy.port)).toBe('ECONNREFUSED');
    }
  });

  it('has no proxies unless asked', async () => {
    cluster = await startPgCluster({ source, replicas: 0 });
    expect(cluster.connectionOptions.hosts).toEqual([`127.0.0.1:${cluster.node('node1').port}`]);
    expect(() => cluster!.proxy('node1')).toThrow(/proxies: true/);
  });
});
