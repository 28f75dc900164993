import type mysql from 'mysql2';
import { describe, expect, it } from 'vitest';
import { createMysqlPool, createMysqlPromisePool } from '../../src/drivers/mysql2';
import { SplitBrainError } from '../../src/index';
import type { MariadbCluster } from '../../src/testing';
import { address, type FixtureClusterOptions } from './support/engine-fixture';
import { mariadbFixture, mariadbUnavailable } from './support/mariadb-fixture';
import { endedAfterEach } from './support/resources';
import { sleep } from './support/wait';

/**
 * What only the mysql2 pool is asked around a failover (pool-behaviour.test.ts has what every engine
 * is asked): writable nodes of another cluster, which MariaDB has no identifier to refuse by, and
 * mysql2's streams and callback-less statements on a dying node.
 */
describe.skipIf(mariadbUnavailable() !== undefined)('mysql2 pool on MariaDB', () => {
  const started = endedAfterEach();

  const start = async (options: FixtureClusterOptions = {}) =>
    started.cluster(await mariadbFixture.start({ writesTable: true, ...options }));

  /** The same app account and password on `foreign` as on `cluster`: provisioned alike, as clusters of one company are. */
  const samePassword = (foreign: MariadbCluster, cluster: MariadbCluster) =>
    foreign.query(
      'node1',
      `SET PASSWORD FOR 'app'@'127.0.0.1' = PASSWORD('${cluster.connectionOptions.password}')`,
    );

  it('never writes to a writable node of another cluster: the replicas follow the real primary', async () => {
    const cluster = await start({ replicas: 2 });
    const foreign = await start({ replicas: 0 });
    const foreignAddress = address(foreign, 'node1');
    await samePassword(foreign, cluster);
    const pool = started.pool(
      createMysqlPromisePool({
        ...cluster.connectionOptions,
        hosts: [foreignAddress, ...cluster.connectionOptions.hosts],
      }),
    );
    const splitBrains: (string | null)[] = [];
    pool.on('splitBrain', (e) => splitBrains.push(e.resolvedTo));
    for (let id = 1; id <= 20; id++) await pool.query('INSERT INTO writes VALUES (?)', [id]);
    // MariaDB has no cluster identifier to refuse it by; it is writable, but no replica follows it.
    expect(pool.topology().nodes.find((n) => n.name === foreignAddress)?.excluded).toBe('stale-primary');
    expect(splitBrains).toEqual([address(cluster, 'node1')]);
    expect(await mariadbFixture.idsOn(foreign, 'node1')).toEqual([]);
    expect(await mariadbFixture.idsOn(cluster, 'node1')).toHaveLength(20);
  });

  it('stops writes with SplitBrainError when two writable nodes cannot be told apart', async () => {
    const cluster = await start({ replicas: 0 });
    const foreign = await start({ replicas: 0 });
    await samePassword(foreign, cluster);
    const pool = started.pool(
      createMysqlPromisePool({
        ...cluster.connectionOptions,
        hosts: [address(cluster, 'node1'), address(foreign, 'node1')],
        failover: { waitForPrimaryMs: 1000 },
      }),
    );
    const error = await pool.query('INSERT INTO writes VALUES (1)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SplitBrainError);
    expect((error as SplitBrainError).nodes).toHaveLength(2);
    expect(await mariadbFixture.idsOn(cluster, 'node1')).toEqual([]);
    expect(await mariadbFixture.idsOn(foreign, 'node1')).toEqual([]);
  });

  it('hands the error of a dying node to a stream, and survives a statement fired with no callback', async () => {
    const cluster = await start();
    const callbackPool = createMysqlPool({ ...cluster.connectionOptions, connectionLimit: 6 });
    const pool = started.pool(callbackPool.promise());
    const held = await pool.getConnection();
    const stream = (held.connection as unknown as mysql.PoolConnection).query('SELECT SLEEP(5)').stream();
    const streamed = (async () => {
      for await (const row of stream) void row;
    })().catch((e: unknown) => e);
    // No callback and no listener at all: its error must not crash the process.
    callbackPool.query('INSERT INTO writes VALUES (99)');
    await sleep(100);
    cluster.kill('node1', 'SIGKILL');
    // mysql2 alone would leave the stream waiting forever: the error reaches it.
    expect(await streamed).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
    await sleep(500);
    held.release();
    // The setup file fails this test if anything threw or rejected unhandled meanwhile.
    await cluster.promote('node2');
    await expect(pool.query('INSERT INTO writes VALUES (1)')).resolves.toBeDefined();
  });
});
