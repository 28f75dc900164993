/**
 * Type-level check, run by `npm run typecheck` (never executed): a failover pool goes wherever a
 * mysql2 Pool or PromisePool goes (Knex's `connectionPool` included), with no cast, and takes
 * failover-pool's own query flags.
 */
import { drizzle } from 'drizzle-orm/mysql2';
import knex from 'knex';
import { Kysely, MysqlDialect } from 'kysely';
import type mysql from 'mysql2';
import type { Pool as PromisePool, RowDataPacket } from 'mysql2/promise';
import { createMysqlPool, createMysqlPromisePool } from '../../src/drivers/mysql2';

export function compiles(): void {
  const pool = createMysqlPool({
    hosts: ['db1', 'db2:3307'],
    connectionLimit: 5,
    failover: { waitForPrimaryMs: 1000 },
  });
  const promisePool = createMysqlPromisePool({ hosts: ['db1', 'db2'], user: 'app', database: 'shop' });

  const asPool: mysql.Pool = pool;
  const asPromisePool: PromisePool = promisePool;
  const fromPool: PromisePool = pool.promise();
  const kysely = new Kysely<{ orders: { id: number } }>({ dialect: new MysqlDialect({ pool }) });
  const db = drizzle(pool);
  const db2 = drizzle({ client: promisePool });
  const db3 = drizzle(promisePool);
  const knexDb = knex({ client: 'mysql2', connectionPool: pool });

  pool.query('INSERT INTO orders SET ?', { id: 1 }, (err, result) => void [err, result]);
  pool.query<RowDataPacket[]>('SELECT ? AS id', [1], (_err, rows) => void rows[0]?.id);
  pool.query({ sql: 'UPDATE stock SET qty = 5', idempotent: true }, (err) => void err);
  pool.execute('SELECT * FROM orders WHERE id = ?', [1], (_err, rows, fields) => void [rows, fields]);
  pool
    .query('SELECT 1')
    .stream()
    .on('data', () => undefined);
  pool.getConnection((err, connection) => {
    if (!err) connection.query('SELECT 1', () => connection.release());
  });
  void promisePool.query<RowDataPacket[]>({ sql: 'SELECT 1', readOnly: true }).then(([rows]) => rows.length);
  void promisePool.execute('SELECT ?', [1]);
  void promisePool.getConnection().then((connection) => connection.release());
  pool.on('primaryChanged', (event) => void event.detectedAfterMs);
  promisePool.on('retry', (event) => void event.reason);
  void [
    pool.escape('x'),
    pool.escapeId('t'),
    pool.format('?', [1]),
    pool.topology().primary,
    promisePool.topology(),
  ];
  void [asPool, asPromisePool, fromPool, kysely, db, db2, db3, knexDb];
}
