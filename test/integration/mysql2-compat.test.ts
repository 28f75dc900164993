import { bigint, mysqlTable } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import { Kysely, MysqlDialect } from 'kysely';
import type mysql from 'mysql2';
import rawMysql from 'mysql2';
import type { FieldPacket, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { createMysqlPool, createMysqlPromisePool } from '../../src/drivers/mysql2';
import type { MariadbCluster } from '../../src/testing';
import { mariadbFixture, mariadbUnavailable } from './support/mariadb-fixture';
import {
  drizzleWrites,
  kyselyWrites,
  ormAcrossSwitchover,
  type WritesDatabase,
} from './support/orm-scenario';
import { endedAfterEach } from './support/resources';

/**
 * The pool is a drop-in for mysql2's: every call form of the callback and promise APIs on a real
 * server, and libraries that take a mysql2 pool (Kysely takes a connection per query; Drizzle turns
 * the pool into its promise flavour) across a planned switchover.
 */
const writes = mysqlTable('writes', { id: bigint('id', { mode: 'number' }).primaryKey() });

type Callback = (error: Error | null, result?: unknown, fields?: FieldPacket[]) => void;

describe.skipIf(mariadbUnavailable() !== undefined)('the mysql2 pool as a drop-in, on MariaDB', () => {
  const started = endedAfterEach();

  /** mysql2's callback pool, ended after the test. */
  const poolOn = (
    cluster: MariadbCluster,
    options: Omit<Parameters<typeof createMysqlPool>[0], 'hosts'> = {},
  ) => {
    const pool = createMysqlPool({ ...cluster.connectionOptions, ...options });
    started.ends(() => new Promise<void>((resolve) => pool.end(() => resolve())));
    return pool;
  };

  /** Calls a callback-style method and resolves with (result, fields). */
  function call<T>(start: (callback: Callback) => unknown): Promise<[T, FieldPacket[] | undefined]> {
    return new Promise((resolve, reject) => {
      start((error, result, fields) => (error ? reject(error) : resolve([result as T, fields])));
    });
  }

  it('takes every mysql2 call form: ? and SET ? formats, options objects, callbacks, events, streams', async () => {
    const cluster = started.cluster(await mariadbFixture.start({ writesTable: true }));
    const pool = poolOn(cluster, { connectionLimit: 2 });
    const p = pool;
    const events: string[] = [];
    for (const event of ['connection', 'acquire', 'release', 'enqueue'] as const)
      p.on(event, () => events.push(event));

    const [inserted] = await call<ResultSetHeader>((cb) =>
      p.query('INSERT INTO writes SET ?', { id: 1 }, cb),
    );
    expect(inserted.affectedRows).toBe(1);
    await call((cb) => p.query('INSERT INTO writes VALUES (?), (?)', [2, 3], cb));
    await call((cb) => p.query({ sql: 'INSERT INTO writes VALUES (?)', values: [4] }, cb));
    await call((cb) => p.query({ sql: 'INSERT INTO writes VALUES (?)', idempotent: false }, [5], cb));
    await call((cb) => p.execute('INSERT INTO writes VALUES (?)', [6], cb));
    const [rows, fields] = await call<RowDataPacket[]>((cb) =>
      p.query('SELECT id FROM writes ORDER BY id', cb),
    );
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fields?.map((f) => f.name)).toEqual(['id']);
    const [arrays] = await call<unknown[][]>((cb) =>
      p.query(
        { sql: 'SELECT id FROM writes WHERE id < ? ORDER BY id', rowsAsArray: true, readOnly: true },
        [3],
        cb,
      ),
    );
    expect(arrays).toEqual([[1], [2]]);
    const [executed] = await call<RowDataPacket[]>((cb) => p.execute({ sql: 'SELECT ? + 1 AS n' }, [41], cb));
    expect(executed[0]?.n).toBe(42);

    // No callback: the Query emits fields, result, end, and streams.
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      p.query('SELECT id FROM writes WHERE id <= 2 ORDER BY id')
        .on('fields', (f: FieldPacket[]) => seen.push(f.map((x) => x.name)))
        .on('result', (row: RowDataPacket) => seen.push(row.id))
        .on('error', reject)
        .on('end', () => resolve());
    });
    expect(seen).toEqual([['id'], 1, 2]);
    const streamed: number[] = [];
    for await (const row of p.query('SELECT id FROM writes ORDER BY id').stream())
      streamed.push((row as RowDataPacket).id);
    expect(streamed).toEqual([1, 2, 3, 4, 5, 6]);

    // A server error reaches the callback unchanged.
    const duplicate = await call((cb) => p.query('INSERT INTO writes VALUES (1)', cb)).catch(
      (e: unknown) => e,
    );
    expect(duplicate).toMatchObject({ code: 'ER_DUP_ENTRY', errno: 1062 });

    // escape / escapeId / format as mysql2's pool does them.
    expect(p.escape("it's")).toBe("'it\\'s'");
    expect(p.escapeId('order.id')).toBe('`order`.`id`');
    expect(p.format('SELECT ? FROM ??', ['a', 't'])).toBe("SELECT 'a' FROM `t`");

    // getConnection / releaseConnection, with a transaction on the pinned connection.
    const connection = await new Promise<mysql.PoolConnection>((resolve, reject) =>
      p.getConnection((error, got) => (error ? reject(error) : resolve(got))),
    );
    await call((cb) => connection.beginTransaction(cb));
    await call((cb) => connection.query('INSERT INTO writes VALUES (7)', cb));
    await call((cb) => connection.rollback(cb));
    p.releaseConnection(connection);

    // The promise flavour: mysql2's PromisePool around this pool.
    const promisePool = p.promise();
    const [promised] = await promisePool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM writes');
    expect(promised[0]?.n).toBe(6);
    const pinned = await promisePool.getConnection();
    await pinned.beginTransaction();
    await pinned.execute('INSERT INTO writes VALUES (?)', [8]);
    await pinned.commit();
    pinned.release();
    expect(() => promisePool.query('SELECT 1', (() => undefined) as never)).toThrow(
      /Callback function is not available/,
    );
    expect(await mariadbFixture.idsOn(cluster, 'node1')).toEqual(['1', '2', '3', '4', '5', '6', '8']);

    expect(events).toContain('connection');
    expect(events).toContain('acquire');
    expect(events).toContain('release');
    // connectionLimit 2, three callers at once: the third queues, as on mysql2's pool.
    await Promise.all([1, 2, 3].map(() => call((cb) => p.query('SELECT SLEEP(0.05)', cb))));
    expect(events).toContain('enqueue');
  });

  it('emits the same events as mysql2 itself, several result sets included', async () => {
    const cluster = started.cluster(await mariadbFixture.start({ writesTable: true }));
    const pool = poolOn(cluster, { multipleStatements: true });
    const raw = rawMysql.createConnection({
      host: '127.0.0.1',
      port: cluster.node('node1').port,
      user: cluster.connectionOptions.user,
      password: cluster.connectionOptions.password,
      database: cluster.connectionOptions.database,
      multipleStatements: true,
    });
    const sql = 'INSERT INTO writes VALUES (1); SELECT id FROM writes; SELECT 2 AS two, 3 AS three';
    const record = (query: mysql.Query) =>
      new Promise<unknown[]>((resolve, reject) => {
        const seen: unknown[] = [];
        query
          .on('fields', (fields?: FieldPacket[]) => seen.push(['fields', fields?.map((f) => f.name)]))
          .on('result', (row: unknown, index?: number) => seen.push(['result', JSON.stringify(row), index]))
          .on('error', reject)
          .on('end', () => resolve(seen));
      });
    const expected = await record(raw.query(sql));
    await new Promise<void>((resolve) => raw.end(() => resolve()));
    await cluster.query('node1', 'DELETE FROM app.writes');
    expect(await record(pool.query(sql))).toEqual(expected);
    expect(expected).toHaveLength(6);
  });

  it('Kysely (MysqlDialect) queries, transactions, streams, and a switchover with no error', async () => {
    const cluster = started.cluster(await mariadbFixture.start({ writesTable: true }));
    const pool = createMysqlPool({ ...cluster.connectionOptions });
    const db = new Kysely<WritesDatabase>({ dialect: new MysqlDialect({ pool }) });
    started.ends(() => db.destroy()); // it ends the pool
    await ormAcrossSwitchover('Kysely', kyselyWrites(db), mariadbFixture, cluster);
    const streamed: number[] = [];
    for await (const row of db.selectFrom('writes').select('id').where('id', '<', 0).orderBy('id').stream())
      streamed.push(Number(row.id));
    expect(streamed).toEqual([-3, -2, -1]);
  });

  it('Kysely on the promise pool: its callback calls are answered (mysql2 own promise pool would hang)', async () => {
    const cluster = started.cluster(await mariadbFixture.start({ writesTable: true }));
    const pool = createMysqlPromisePool({ ...cluster.connectionOptions });
    const db = new Kysely<WritesDatabase>({ dialect: new MysqlDialect({ pool }) });
    const orm = kyselyWrites(db);
    await orm.insert(-1);
    await orm.insertInTransaction([-2, -3]);
    expect(await orm.negativeIds()).toEqual([-3, -2, -1]);
    await db.destroy(); // end(callback): it ends the pool
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'POOL_ENDED' });
  });

  it('Drizzle (mysql2) queries, transactions, and a switchover with no error', async () => {
    const cluster = started.cluster(await mariadbFixture.start({ writesTable: true }));
    const db = drizzle(poolOn(cluster));
    await ormAcrossSwitchover('Drizzle', drizzleWrites(db, writes), mariadbFixture, cluster);
  });
});
