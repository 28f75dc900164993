import type mysql from 'mysql2';
import type { PoolConnection as PromisePoolConnection, RowDataPacket } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMysqlPool,
  createMysqlPromisePool,
  type FailoverMysqlPromisePool,
} from '../../src/drivers/mysql2';
import { FailoverPoolError, NodeUnavailableError, NoPrimaryError, SplitBrainError } from '../../src/index';
import type { MariadbCluster } from '../../src/testing';
import {
  address,
  appQuery,
  clusterWithTable,
  idsOn,
  mariadbUnavailable,
  sleep,
} from './support/mariadb-cluster';

/** The pool's behaviour around a failover beyond the steady write stream: the pg issue's scenarios 4 to 6. */
describe.skipIf(mariadbUnavailable() !== undefined)('mysql2 pool on MariaDB', () => {
  const clusters: MariadbCluster[] = [];
  let pool: FailoverMysqlPromisePool | undefined;

  afterEach(async () => {
    await pool?.end();
    pool = undefined;
    await Promise.all(clusters.splice(0).map((c) => c.destroy()));
  });

  async function start(options: Parameters<typeof clusterWithTable>[0] = {}): Promise<MariadbCluster> {
    const cluster = await clusterWithTable(options);
    clusters.push(cluster);
    return cluster;
  }

  const portOf = async (connection: PromisePoolConnection | FailoverMysqlPromisePool) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT @@port AS port');
    return rows[0]?.port as number;
  };

  it('pins a connection to its node: after a failover its next statement fails, it is destroyed, and a new one works', async () => {
    const cluster = await start();
    pool = createMysqlPromisePool({ ...cluster.connectionOptions, connectionLimit: 4 });
    const connection = await pool.getConnection(); // no error listener, as in most apps
    await connection.query('INSERT INTO writes VALUES (1)');

    cluster.kill('node1', 'SIGKILL');
    await sleep(300);
    await cluster.promote('node2');

    const error = await connection.query('INSERT INTO writes VALUES (2)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    expect(error).toMatchObject({
      code: 'NODE_UNAVAILABLE',
      host: '127.0.0.1',
      port: cluster.node('node1').port,
    });
    connection.release();

    const fresh = await pool.getConnection();
    expect(await portOf(fresh)).toBe(cluster.node('node2').port);
    await fresh.query('INSERT INTO writes VALUES (2)');
    fresh.release();
    expect(await idsOn(cluster, 'node2')).toEqual(['1', '2']);
  });

  it('fails a pinned transaction caught by a switchover with a FailoverPoolError, and commits nothing of it', async () => {
    const cluster = await start();
    pool = createMysqlPromisePool({ ...cluster.connectionOptions });
    const connection = await pool.getConnection();
    await connection.beginTransaction();
    await connection.query('INSERT INTO writes VALUES (10)');
    await cluster.switchover('node2');
    await sleep(300);
    // The pool has seen node2 take over: the pinned connection refuses to go on on node1.
    const error = await connection.query('INSERT INTO writes VALUES (11)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    expect((error as NodeUnavailableError).reason).toMatch(/demoted|superseded/);
    await connection.rollback().catch(() => undefined);
    connection.release();
    expect(await idsOn(cluster, 'node2')).toEqual([]);
    await pool.query('INSERT INTO writes VALUES (12)');
    expect(pool.topology().primary).toBe(address(cluster, 'node2'));
  });

  it('refuses statements on a used connection pinned to a primary that hung and was replaced; moves an unused one', async () => {
    const cluster = await start();
    pool = createMysqlPromisePool({ ...cluster.connectionOptions });
    const used = await pool.getConnection();
    await used.query('SELECT 1');
    const unused = await pool.getConnection(); // as Kysely takes one per query
    cluster.kill('node1', 'SIGSTOP');
    await sleep(1500);
    await cluster.promote('node2');
    await cluster.repoint('node3', 'node2');
    await sleep(300);
    cluster.kill('node1', 'SIGCONT');
    await sleep(1200);

    const error = await used.query('INSERT INTO writes VALUES (3)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    used.release();

    // Nothing ran on `unused` yet, so its first statement follows the pool's rules: it runs on node2.
    await unused.query('INSERT INTO writes VALUES (4)');
    expect(await portOf(unused)).toBe(cluster.node('node2').port);
    unused.release();
    expect(await idsOn(cluster, 'node1')).toEqual([]);
    expect(await idsOn(cluster, 'node2')).toEqual(['4']);
  });

  it('waits a bounded time when every node is down, then recovers fully once they return', async () => {
    const cluster = await start();
    pool = createMysqlPromisePool({
      ...cluster.connectionOptions,
      failover: { waitForPrimaryMs: 1500, maxWaiting: 3 },
    });
    await pool.query('INSERT INTO writes VALUES (1)');
    for (const node of ['node1', 'node2', 'node3']) cluster.kill(node, 'SIGKILL');
    while (pool.topology().nodes.some((n) => n.healthy)) await sleep(20);

    const started = performance.now();
    const waiting = [1, 2, 3].map((i) =>
      pool!.query('INSERT INTO writes VALUES (?)', [100 + i]).catch((e: unknown) => e),
    );
    const overflow = await pool.query('INSERT INTO writes VALUES (200)').catch((e: unknown) => e);
    expect(overflow).toMatchObject({ code: 'NO_PRIMARY', reason: 'queue-full' });
    for (const error of await Promise.all(waiting)) {
      expect(error).toBeInstanceOf(NoPrimaryError);
      expect((error as NoPrimaryError).reason).toBe('timeout');
      expect((error as Error).message).toContain('failover.waitForPrimaryMs');
    }
    console.log(`[MariaDB] all nodes down: gave up after ${Math.round(performance.now() - started)} ms`);

    for (const node of ['node1', 'node2', 'node3']) await cluster.start(node);
    await expect(pool.query('INSERT INTO writes VALUES (300)')).resolves.toBeDefined();
    expect(pool.topology().primary).toBe(address(cluster, 'node1'));
    while (!pool.topology().nodes.every((n) => n.healthy)) await sleep(50); // the test times out if never
    expect(pool.topology().nodes.filter((n) => n.role === 'replica')).toHaveLength(2);
  });

  it('fails at once with the server error on a wrong password, not after the failover wait', async () => {
    const cluster = await start({ replicas: 1 });
    // A ten-minute wait: if the pool waited for a primary instead of failing, the test would time out.
    pool = createMysqlPromisePool({
      ...cluster.connectionOptions,
      password: 'wrong',
      failover: { waitForPrimaryMs: 600_000 },
    });
    const error = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 });
    expect(JSON.stringify(pool.topology())).not.toContain('wrong');
    expect(JSON.stringify(pool.pool.config)).not.toContain('wrong');
  });

  it('never writes to a writable node of another cluster: the replicas follow the real primary', async () => {
    const cluster = await start({ replicas: 2 });
    const foreign = await start({ replicas: 0 });
    const foreignAddress = address(foreign, 'node1');
    // Provisioned alike, as clusters of one company are: the same app account and password.
    await foreign.query(
      'node1',
      `SET PASSWORD FOR 'app'@'127.0.0.1' = PASSWORD('${cluster.connectionOptions.password}')`,
    );
    pool = createMysqlPromisePool({
      ...cluster.connectionOptions,
      hosts: [foreignAddress, ...cluster.connectionOptions.hosts],
    });
    const splitBrains: (string | null)[] = [];
    pool.on('splitBrain', (e) => splitBrains.push(e.resolvedTo));
    for (let id = 1; id <= 20; id++) await pool.query('INSERT INTO writes VALUES (?)', [id]);
    // MariaDB has no cluster identifier to refuse it by; it is writable, but no replica follows it.
    expect(pool.topology().nodes.find((n) => n.name === foreignAddress)?.excluded).toBe('stale-primary');
    expect(splitBrains).toEqual([address(cluster, 'node1')]);
    expect(await idsOn(foreign, 'node1')).toEqual([]);
    expect(await idsOn(cluster, 'node1')).toHaveLength(20);
  });

  it('stops writes with SplitBrainError when two writable nodes cannot be told apart', async () => {
    const cluster = await start({ replicas: 0 });
    const foreign = await start({ replicas: 0 });
    await foreign.query(
      'node1',
      `SET PASSWORD FOR 'app'@'127.0.0.1' = PASSWORD('${cluster.connectionOptions.password}')`,
    );
    pool = createMysqlPromisePool({
      ...cluster.connectionOptions,
      hosts: [address(cluster, 'node1'), address(foreign, 'node1')],
      failover: { waitForPrimaryMs: 1000 },
    });
    const error = await pool.query('INSERT INTO writes VALUES (1)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SplitBrainError);
    expect((error as SplitBrainError).nodes).toHaveLength(2);
    expect(await idsOn(cluster, 'node1')).toEqual([]);
    expect(await idsOn(foreign, 'node1')).toEqual([]);
  });

  it('survives a dying node with idle and checked-out connections and no error listeners at all', async () => {
    const cluster = await start();
    const callbackPool = createMysqlPool({ ...cluster.connectionOptions, connectionLimit: 6 });
    pool = callbackPool.promise();
    const [first, second] = await Promise.all([pool.getConnection(), pool.getConnection()]);
    const held = [first, second];
    await Promise.all([1, 2, 3, 4].map((i) => pool!.query('SELECT SLEEP(0.05), ?', [i])));
    // A statement in flight, a stream in flight, and one fired with no callback and no listener at all.
    const inFlight = first.query('SELECT SLEEP(5)').catch((e: unknown) => e);
    const stream = (second.connection as unknown as mysql.PoolConnection).query('SELECT SLEEP(5)').stream();
    const streamed = (async () => {
      for await (const row of stream) void row;
    })().catch((e: unknown) => e);
    callbackPool.query('INSERT INTO writes VALUES (99)');
    await sleep(100);
    cluster.kill('node1', 'SIGKILL'); // idle, held and busy connections all lose their server
    expect(await inFlight).toBeInstanceOf(FailoverPoolError);
    // mysql2 alone would leave the stream waiting forever: the error reaches it.
    expect(await streamed).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
    await sleep(500);
    for (const connection of held) connection.release();
    // The setup file fails this test if anything threw or rejected unhandled meanwhile.
    await cluster.promote('node2');
    await expect(pool.query('INSERT INTO writes VALUES (1)')).resolves.toBeDefined();
    expect(await appQuery(cluster, 'node2', 'SELECT count(*) AS n FROM writes WHERE id = 1')).toEqual([
      { n: 1 },
    ]);
  });
});
