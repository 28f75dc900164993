import { randomBytes } from 'node:crypto';
import { bigint as mysqlBigint, mysqlTable } from 'drizzle-orm/mysql-core';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { bigint, pgTable } from 'drizzle-orm/pg-core';
import { expect, it } from 'vitest';
import { mysqlSideQuery } from './mysql-admin';
import { describeMysqlPromise } from './mysql-suite';
import { sideQuery } from './pg-admin';
import { describePg } from './pg-suite';
import { rejectionOf } from './waiting';

/**
 * Drizzle runs a transaction on one client only when it recognises the pool (pg: `instanceof Pool`
 * or a class name containing "Pool"); otherwise BEGIN, the statements and ROLLBACK each go to
 * whatever connection is free, and a rollback keeps the rows. Checked on both builds.
 */
const tableName = () => `compat_drizzle_${randomBytes(4).toString('hex')}`;
const failure = new Error('roll back');

/**
 * A transaction body that inserts 1, then 2 and 3 at once, then fails. Through pool.query (a pool
 * Drizzle did not recognise) the two at once take two connections, one outside the transaction.
 */
async function insertThenFail(insert: (id: number) => Promise<unknown>): Promise<never> {
  await insert(1);
  await Promise.all([insert(2), insert(3)]);
  throw failure;
}

describePg('Drizzle transactions', ({ server, pool }) => {
  async function setUp() {
    const name = tableName();
    await sideQuery(server(), `CREATE TABLE ${name} (id bigint PRIMARY KEY)`);
    const table = pgTable(name, { id: bigint('id', { mode: 'number' }).primaryKey() });
    const count = async () =>
      Number((await sideQuery<{ n: string }>(server(), `SELECT COUNT(*) AS n FROM ${name}`))[0]?.n);
    return { table, count, db: drizzlePg(pool({ max: 4 })) };
  }

  it('rolls a failed transaction back: none of its rows remain', async () => {
    const { table, count, db } = await setUp();
    const outcome = db.transaction((tx) => insertThenFail((id) => tx.insert(table).values({ id })));
    expect(await rejectionOf(outcome)).toBe(failure);
    expect(await count()).toBe(0);
  });

  it('commits a transaction that runs its statements with Promise.all', async () => {
    const { table, count, db } = await setUp();
    await db.transaction(async (tx) => {
      await Promise.all([tx.insert(table).values({ id: 1 }), tx.insert(table).values({ id: 2 })]);
    });
    expect(await count()).toBe(2);
  });
});

describeMysqlPromise('Drizzle transactions', ({ server, pool }) => {
  it('rolls a failed transaction back: none of its rows remain', async () => {
    const name = tableName();
    await mysqlSideQuery(server(), `CREATE TABLE ${name} (id BIGINT PRIMARY KEY)`);
    const table = mysqlTable(name, { id: mysqlBigint('id', { mode: 'number' }).primaryKey() });
    const db = drizzleMysql({ client: pool({ connectionLimit: 4 }) });
    const outcome = db.transaction((tx) => insertThenFail((id) => tx.insert(table).values({ id })));
    expect(await rejectionOf(outcome)).toBe(failure);
    const rows = await mysqlSideQuery<{ n: number }[]>(server(), `SELECT COUNT(*) AS n FROM ${name}`);
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
