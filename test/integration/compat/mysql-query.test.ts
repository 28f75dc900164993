import type mysql from 'mysql2';
import { expect, it } from 'vitest';
import { describeMysql } from './mysql-suite';
import { rejectionOf } from './waiting';

/**
 * query and execute through both APIs, and what they do with errors (mysql2's promise-wrappers,
 * test-pool-getconnection-contract, named-placeholders, regressions #485 and #4126).
 */
describeMysql('query and execute', ({ pool }) => {
  it('runs query with and without values, and an options object', async () => {
    const p = pool();
    expect(await p.query('SELECT 1 + 2 AS ttt')).toEqual([{ ttt: 3 }]);
    expect(await p.query('SELECT ? + ? AS sum', [2, 3])).toEqual([{ sum: 5 }]);
    expect(await p.query({ sql: 'SELECT ? AS v', values: ['x'] })).toEqual([{ v: 'x' }]);
    expect(await p.query({ sql: 'SELECT 1 AS a, 2 AS b', rowsAsArray: true })).toEqual([[1, 2]]);
  });

  it('runs execute (prepared statements), with and without values', async () => {
    const p = pool();
    expect(await p.execute('SELECT 1 + 2 AS ttt')).toEqual([{ ttt: 3 }]);
    expect(await p.execute('SELECT ? AS v', [41])).toEqual([{ v: 41 }]);
  });

  it('expands ?? and object placeholders, in SET lists too', async () => {
    const p = pool({ connectionLimit: 1 });
    await p.query('CREATE TEMPORARY TABLE domains (id INT PRIMARY KEY, domain VARCHAR(255))');
    const inserted = await p.query<mysql.ResultSetHeader>('INSERT INTO ?? SET ?', [
      'domains',
      { id: 1, domain: 'test.com' },
    ]);
    expect(inserted.affectedRows).toBe(1);
    expect(await p.query('SELECT id, domain FROM domains')).toEqual([{ id: 1, domain: 'test.com' }]);
  });

  it('takes namedPlaceholders per statement', async () => {
    const p = pool({ namedPlaceholders: false });
    const sql = 'SELECT result FROM (SELECT 1 AS result) t WHERE t.result = :named';
    expect(await p.query({ sql, namedPlaceholders: true }, { named: 1 })).toEqual([{ result: 1 }]);
    const named = pool({ namedPlaceholders: true });
    expect(await named.execute('SELECT :a + :a AS sum', { a: 2 })).toEqual([{ sum: 4 }]);
  });

  it('passes a SQL error through, and keeps working', async () => {
    const p = pool({ connectionLimit: 1 });
    const errors = await Promise.all(Array.from({ length: 10 }, () => rejectionOf(p.query('bad sql'))));
    for (const error of errors) expect(error.code).toBe('ER_PARSE_ERROR');
    expect((await rejectionOf(p.execute('SELECT * FROM no_such_table'))).code).toBe('ER_NO_SUCH_TABLE');
    expect(await p.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('queues several statements on one connection (Promise.all): none is rejected', async () => {
    const p = pool();
    const connection = await p.getConnection();
    const results = await Promise.all([
      connection.query('SELECT 1 AS n'),
      connection.query('SELECT 2 AS n'),
      connection.query('SELECT 3 AS n'),
    ]);
    expect(results).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);
    connection.release();
  });

  it('runs 30 concurrent statements on connectionLimit 3', async () => {
    const p = pool({ connectionLimit: 3 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => p.query<{ i: number }[]>('SELECT ? AS i', [i])),
    );
    expect(results.map((rows) => rows[0]?.i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const threads = await p.query<{ n: number }[]>(
      'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = CURRENT_USER()',
    );
    expect(Number(threads[0]?.n)).toBeLessThanOrEqual(3);
  });
});
