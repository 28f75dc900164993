import type pg from 'pg';
import { expect } from 'vitest';
import { createPgPool, type FailoverQueryConfig } from '../../../src/drivers/pg/index';
import { FailoverPoolError } from '../../../src/index';
import { type DriverKit, kitPool, poolOptions, type StatementFlags, started, valuesFor } from './driver-kit';
import { FakePgServer, type PgError } from './fake-pg-server';

/** `?` placeholders as PostgreSQL numbers them; statements with values take the extended protocol. */
function pgConfig(sql: string, flags: StatementFlags = {}): FailoverQueryConfig {
  let n = 0;
  return { text: sql.replace(/\?/g, () => `$${++n}`), values: valuesFor(sql), ...flags };
}

type Queryable = Pick<pg.PoolClient, 'query'>;

function runOn(client: Queryable) {
  return async (sql: string, flags?: StatementFlags) => {
    await client.query(pgConfig(sql, flags));
  };
}

function createKitPgPool(nodes: readonly { name: string }[]) {
  const pool = createPgPool(poolOptions(nodes));
  return kitPool(pool, () => pool.end(), {
    run: runOn(pool),
    async pin() {
      const client = await pool.connect();
      return { run: runOn(client), release: () => client.release() };
    },
    transaction: (fn) => pool.transaction((tx) => fn({ run: runOn(tx as Queryable) })),
    primary: () => pool.topology().primary,
  });
}

/** PostgreSQL 14+: a new connection's role comes with its login (ParameterStatus `in_hot_standby`). */
export const pgKit: DriverKit<PgError> = {
  name: 'pg',
  startNode: (role) => started(new FakePgServer(role)),
  createPool: createKitPgPool,
  uniqueViolation: { code: '23505', message: 'duplicate key value violates unique constraint "orders_pkey"' },
  expectUniqueViolation(error) {
    expect(error).not.toBeInstanceOf(FailoverPoolError);
    expect(error).toMatchObject({
      code: '23505',
      severity: 'ERROR',
      message: 'duplicate key value violates unique constraint "orders_pkey"',
    });
  },
  readOnlyRejections: [
    { name: '25006', error: { code: '25006', message: 'cannot execute INSERT in a read-only transaction' } },
  ],
  // The node pool notes every client from the moment it is made, so a connect under way is closed too.
  closesAbandonedConnects: true,
};

/** A server before PostgreSQL 14 reports no `in_hot_standby`: the library asks each new connection. */
export const pgKitWithoutHotStandby: DriverKit<PgError> = {
  ...pgKit,
  name: 'pg, server without in_hot_standby',
  startNode: (role) => started(new FakePgServer(role, { reportsHotStandby: false })),
  newConnectionCheck: /\bAS writable$/,
};
