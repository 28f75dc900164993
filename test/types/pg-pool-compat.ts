/**
 * Type-level check, run by `npm run typecheck` (never executed): a failover pool goes wherever a
 * pg.Pool goes, with no cast, and takes failover-pool's own query flags.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import knex from 'knex';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { createPgPool } from '../../src/drivers/pg';

export function compiles(): void {
  const pool = createPgPool({ hosts: ['db1', 'db2'], max: 5, failover: { waitForPrimaryMs: 1000 } });

  const asPgPool: pg.Pool = pool;
  const kysely = new Kysely<{ orders: { id: number } }>({ dialect: new PostgresDialect({ pool }) });
  const db = drizzle(pool);
  const db2 = drizzle({ client: pool });
  const knexDb = knex({ client: 'pg', connectionPool: pool });
  const prisma = new PrismaPg(pool);

  void pool.query<{ id: number }>('SELECT $1::int AS id', [1]).then((r) => r.rows[0]?.id.toFixed());
  void pool.query({ text: 'UPDATE stock SET qty = 5', idempotent: true });
  void pool.query({ text: 'SELECT 1', readOnly: true, rowMode: 'array' });
  pool.query('SELECT 1', (err, result) => void [err, result.rows]);
  void pool.connect().then((client) => client.release());
  void [asPgPool, kysely, db, db2, knexDb, prisma];
}
