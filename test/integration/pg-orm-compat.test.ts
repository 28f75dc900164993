import { drizzle } from 'drizzle-orm/node-postgres';
import { bigint, pgTable } from 'drizzle-orm/pg-core';
import { Kysely, PostgresDialect } from 'kysely';
import { describe, it } from 'vitest';
import { createPgPool } from '../../src/drivers/pg';
import {
  drizzleWrites,
  kyselyWrites,
  ormAcrossSwitchover,
  type WritesDatabase,
} from './support/orm-scenario';
import { pgFixtures } from './support/pg-fixture';
import { endedAfterEach } from './support/resources';

/**
 * Libraries that take a pg.Pool take ours unchanged. Kysely checks out a client per query (so each
 * query is the first statement of its client, under the pool's re-run rules); Drizzle uses
 * pool.query for plain statements and a client for transactions.
 */
const writes = pgTable('writes', { id: bigint('id', { mode: 'number' }).primaryKey() });

const [fixture] = pgFixtures();

describe.skipIf(!fixture)('ORMs on the pg pool (PostgreSQL)', () => {
  const started = endedAfterEach();

  it('Kysely (PostgresDialect) queries, transactions, and a switchover with no error', async () => {
    const cluster = started.cluster(await fixture!.start({ writesTable: true }));
    const pool = createPgPool({ ...cluster.connectionOptions });
    const db = new Kysely<WritesDatabase>({ dialect: new PostgresDialect({ pool }) });
    started.ends(() => db.destroy()); // it ends the pool
    await ormAcrossSwitchover('Kysely', kyselyWrites(db), fixture!, cluster);
  });

  it('Drizzle (node-postgres) queries, transactions, and a switchover with no error', async () => {
    const cluster = started.cluster(await fixture!.start({ writesTable: true }));
    const db = drizzle(started.pool(createPgPool({ ...cluster.connectionOptions })));
    await ormAcrossSwitchover('Drizzle', drizzleWrites(db, writes), fixture!, cluster);
  });
});
