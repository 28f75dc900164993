import { drizzle } from 'drizzle-orm/node-postgres';
import { bigint, pgTable } from 'drizzle-orm/pg-core';
import { Kysely, PostgresDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgPool, type FailoverPgPool } from '../../src/drivers/pg';
import type { PgCluster } from '../../src/testing';
import { clusterWithTable, idsOn, pgSources, sleep } from './support/pg-cluster';
import { type Queryable, startWrites } from './support/write-workload';

/**
 * Libraries that take a pg.Pool take ours unchanged. Kysely checks out a client per query (so each
 * query is the first statement of its client, under the pool's re-run rules); Drizzle uses
 * pool.query for plain statements and a client for transactions.
 */
const writes = pgTable('writes', { id: bigint('id', { mode: 'number' }).primaryKey() });
interface Database {
  writes: { id: number };
}

describe.each(pgSources().slice(0, 1))('ORMs on the pg pool (PostgreSQL %s)', (source) => {
  let cluster: PgCluster | undefined;
  let pool: FailoverPgPool | undefined;

  afterEach(async () => {
    await pool?.end();
    await cluster?.destroy();
    pool = undefined;
    cluster = undefined;
  });

  /** A write stream through `insert` across a planned switchover; returns what the checker found. */
  async function acrossSwitchover(insert: (id: number) => Promise<unknown>) {
    if (!cluster) throw new Error('no cluster');
    const queryable: Queryable = { query: (_text, values) => insert(Number(values?.[0])) };
    const stream = startWrites(queryable);
    await sleep(400);
    await cluster.switchover('node2');
    await sleep(400);
    await stream.stop();
    const result = stream.history.check(await idsOn(cluster, 'node2'));
    return { result, errors: [...stream.errors.keys()] };
  }

  it('Kysely (PostgresDialect) queries, transactions, and a switchover with no error', async () => {
    cluster = await clusterWithTable({ source });
    pool = createPgPool({ ...cluster.connectionOptions });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

    await db.insertInto('writes').values({ id: -1 }).execute();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('writes').values({ id: -2 }).execute();
      await trx.insertInto('writes').values({ id: -3 }).execute();
    });
    const rows = await db.selectFrom('writes').select('id').where('id', '<', 0).orderBy('id').execute();
    expect(rows.map((r) => Number(r.id))).toEqual([-3, -2, -1]);

    const { result, errors } = await acrossSwitchover((id) =>
      db.insertInto('writes').values({ id }).execute(),
    );
    console.log(`[${source}] Kysely across a switchover: ${JSON.stringify({ errors, ...result.counts })}`);
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(errors.filter((e) => e !== 'WRITE_OUTCOME_UNKNOWN')).toEqual([]);
    await db.destroy();
    pool = undefined; // Kysely's destroy() ended it
  });

  it('Drizzle (node-postgres) queries, transactions, and a switchover with no error', async () => {
    cluster = await clusterWithTable({ source });
    pool = createPgPool({ ...cluster.connectionOptions });
    const db = drizzle(pool);

    await db.insert(writes).values({ id: -1 });
    await db.transaction(async (tx) => {
      await tx.insert(writes).values({ id: -2 });
      await tx.insert(writes).values({ id: -3 });
    });
    const rows = await db.select().from(writes);
    expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual([-3, -2, -1]);

    const { result, errors } = await acrossSwitchover((id) => db.insert(writes).values({ id }));
    console.log(`[${source}] Drizzle across a switchover: ${JSON.stringify({ errors, ...result.counts })}`);
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(errors.filter((e) => e !== 'WRITE_OUTCOME_UNKNOWN')).toEqual([]);
  });
});
