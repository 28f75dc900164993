import { expect, it } from 'vitest';
import { mysqlClasses } from './mysql-subjects';
import { describeMysqlPromise } from './mysql-suite';
import { rejectionOf } from './waiting';

/** mysql2/promise's Pool as such (mysql2's promise-wrappers, test-pool, dispose/async/pool). */
describeMysqlPromise('the promise Pool', ({ pool, fromMysqlConfig, server }) => {
  it('is a mysql2/promise PromisePool around a mysql2 Pool', () => {
    const p = pool();
    expect(p).toBeInstanceOf(mysqlClasses.PromisePool);
    expect(p.pool).toBeInstanceOf(mysqlClasses.Pool);
  });

  it('resolves query and execute with [rows, fields], also for options objects', async () => {
    const p = pool();
    const [rows, fields] = await p.query('SELECT 1 + 2 AS ttt');
    expect(rows).toEqual([{ ttt: 3 }]);
    expect(fields.map((f) => f.name)).toEqual(['ttt']);
    const [byObject] = await p.query({ sql: 'SELECT ? + 2 AS ttt', values: [1] });
    expect(byObject).toEqual([{ ttt: 3 }]);
    const [executed] = await p.execute({ sql: 'SELECT ? + 2 AS ttt', values: [1] });
    expect(executed).toEqual([{ ttt: 3 }]);
    expect((await rejectionOf(p.query('bad sql'))).code).toBe('ER_PARSE_ERROR');
  });

  it('returns promises of its own Promise class, for statements and end()', async () => {
    const p = pool();
    const statement = p.execute('SELECT 1');
    expect(statement).toBeInstanceOf(Promise);
    await statement;
    const ended = p.end();
    expect(ended).toBeInstanceOf(Promise);
    await ended;
  });

  it('gives PromisePoolConnections; releaseConnection gives one back', async () => {
    const p = pool({ connectionLimit: 1 });
    const connection = await p.getConnection();
    expect(connection).toBeInstanceOf(mysqlClasses.PromisePoolConnection);
    p.releaseConnection(connection);
    const [rows] = await p.query('SELECT 2 + 2 AS qqq');
    expect(rows).toEqual([{ qqq: 4 }]);
  });

  it('escapes and formats as mysql2 does', () => {
    const p = pool();
    expect(p.escape(123)).toBe('123');
    expect(p.escapeId('table name')).toBe('`table name`');
    expect(p.format('SELECT a FROM ?? WHERE b = ?', ['table name', 'thing'])).toBe(
      "SELECT a FROM `table name` WHERE b = 'thing'",
    );
  });

  it('re-emits the pool events of the pool underneath', async () => {
    const p = pool({ connectionLimit: 1 });
    const events: string[] = [];
    for (const event of ['connection', 'acquire', 'release'] as const) {
      (p as unknown as NodeJS.EventEmitter).on(event, () => events.push(event));
    }
    await p.query('SELECT 1');
    expect(events).toEqual(['connection', 'acquire', 'release']);
  });

  it('takes a URI string', async () => {
    const { host, port, user, password, database } = server();
    const p = fromMysqlConfig(`mysql://${user}:${password}@${host}:${port}/${database}`);
    const [rows] = await p.query('SELECT DATABASE() AS db');
    expect(rows).toEqual([{ db: database }]);
  });

  it('ends with Symbol.asyncDispose, after end() too; connections have Symbol.asyncDispose', async () => {
    const p = pool({ connectionLimit: 1 });
    const connection = await p.getConnection();
    expect(typeof connection[Symbol.asyncDispose]).toBe('function');
    await connection[Symbol.asyncDispose]();
    const [rows] = await p.query('SELECT 1 AS ok');
    expect(rows).toEqual([{ ok: 1 }]);
    await p[Symbol.asyncDispose]();
    expect((await rejectionOf(p.query('SELECT 1'))).message).toBe('Pool is closed.');
    const ended = pool({ connectionLimit: 1 });
    await ended.end();
    await ended[Symbol.asyncDispose]();
  });
});
