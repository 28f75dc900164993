import { sql } from 'drizzle-orm';
import { bigint, mysqlTable, withReplicas } from 'drizzle-orm/mysql-core';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import { Kysely, sql as ksql, MysqlDialect } from 'kysely';
import type { Pool as PromisePool } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { createMysqlPool } from '../../src/drivers/mysql2';
import { startMariadbCluster } from '../../src/testing';
import { withWritesTable } from './support/engine-fixture';
import { clusterPorts, replicasMeasured } from './support/replica-nodes';
import { endedAfterEach } from './support/resources';

/**
 * `pool.reader()` on the mysql2 pools (docs/reads.md), on a real MariaDB cluster: its statements read
 * from the replicas, with the callback and the promise API, and it plugs into Drizzle's
 * `withReplicas` and a Kysely instance.
 */
describe('pool.reader() on MariaDB', () => {
  const started = endedAfterEach();
  const writes = mysqlTable('writes', { id: bigint('id', { mode: 'number' }).primaryKey() });

  async function setUp() {
    const cluster = started.cluster(await withWritesTable(startMariadbCluster(), true));
    const pool = createMysqlPool({ ...cluster.connectionOptions });
    started.ends(() => pool.promise().end());
    await replicasMeasured(pool);
    return { cluster, pool, ...clusterPorts(cluster) };
  }

  it('reads from the replicas with the callback and the promise API; its connection has no session', async () => {
    const { pool, primaryPort, replicaPorts } = await setUp();
    const reader = pool.reader();
    expect(pool.reader()).toBe(reader);
    const viaCallback = await new Promise<number>((resolve, reject) =>
      reader.query('SELECT @@port AS port', (error: Error | null, rows: { port: number }[]) =>
        error ? reject(error) : resolve(Number(rows[0]?.port)),
      ),
    );
    expect(replicaPorts).toContain(viaCallback);
    const promiseReader = pool.promise().reader();
    const ports = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const [rows] = await promiseReader.query('SELECT @@port AS port');
      ports.add(Number((rows as { port: number }[])[0]?.port));
    }
    expect([...ports].sort()).toEqual([...replicaPorts].sort());
    const connection = await promiseReader.getConnection();
    await expect(connection.query('START TRANSACTION')).rejects.toMatchObject({
      code: 'CONFIG',
      option: 'pool.reader()',
    });
    connection.release();
    await promiseReader.end();
    const [rows] = await pool.promise().query('SELECT @@port AS port');
    expect(Number((rows as { port: number }[])[0]?.port)).toBe(primaryPort);
  });

  it("Drizzle's withReplicas: selects on the replicas, writes and transactions on the primary", async () => {
    const { cluster, pool, replicaPorts } = await setUp();
    const primary: MySql2Database = drizzle(pool);
    const replica: MySql2Database = drizzle(pool.reader().promise() as unknown as PromisePool);
    const db = withReplicas(primary, [replica]);
    await db.insert(writes).values({ id: 1 });
    await db.transaction(async (tx) => {
      await tx.insert(writes).values({ id: 2 });
    });
    await cluster.waitForReplication('node2', 15_000);
    await cluster.waitForReplication('node3', 15_000);
    const seen = await db
      .select({ id: writes.id, port: sql<number>`@@port` })
      .from(writes)
      .orderBy(writes.id);
    expect(seen.map((r) => r.id)).toEqual([1, 2]);
    expect(replicaPorts).toContain(Number(seen[0]?.port));
  });

  it('Kysely over the reader reads from the replicas', async () => {
    const { pool, replicaPorts } = await setUp();
    const db = new Kysely<Record<string, never>>({ dialect: new MysqlDialect({ pool: pool.reader() }) });
    started.ends(() => db.destroy());
    const { rows } = await ksql<{ port: number }>`SELECT @@port AS port`.execute(db);
    expect(replicaPorts).toContain(Number(rows[0]?.port));
  });
});
