import type mysql from 'mysql2';
import { expect, it } from 'vitest';
import { mysqlClasses } from './mysql-subjects';
import { describeMysqlCallback } from './mysql-suite';
import { viaCallback } from './waiting';

/**
 * mysql2's callback Pool as such: callback signatures, the Query it returns, escaping, its config
 * (changed after creation too), URI configs, promise() and its class (mysql2's test-pool,
 * test-pool-getconnection-contract, connection/test-named-placeholders, promise-wrappers).
 */
describeMysqlCallback('the callback Pool', ({ pool, fromMysqlConfig, server }) => {
  it('is an instance of mysql2.Pool', () => {
    expect(pool()).toBeInstanceOf(mysqlClasses.Pool);
  });

  it('calls query and execute back with (null, rows, fields), and returns a Query', async () => {
    const p = pool();
    const queried = viaCallback((cb) => p.query('SELECT ? AS v', [1], cb));
    expect(queried.returned).toBeTruthy();
    const { error, values } = await queried.called;
    expect(error).toBeNull();
    expect(values[0]).toEqual([{ v: 1 }]);
    expect((values[1] as mysql.FieldPacket[]).map((f) => f.name)).toEqual(['v']);
    const executed = await viaCallback((cb) => p.execute('SELECT ? AS v', [2], cb)).called;
    expect(executed.error).toBeNull();
    expect(executed.values[0]).toEqual([{ v: 2 }]);
  });

  it('streams a query without callback: fields, result and end events; error events on failure', async () => {
    const p = pool();
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      p.query('SELECT 1 AS n UNION SELECT 2')
        .on('fields', (fields: mysql.FieldPacket[]) => seen.push(fields.map((f) => f.name)))
        .on('result', (row: mysql.RowDataPacket) => seen.push(row.n))
        .on('end', () => resolve())
        .on('error', reject);
    });
    expect(seen).toEqual([['n'], 1, 2]);
    const error = await new Promise<mysql.QueryError>((resolve) => {
      p.query('test sql').on('error', resolve);
    });
    expect(error.code).toBe('ER_PARSE_ERROR');
  });

  it('calls getConnection back asynchronously with (null, connection); releaseConnection gives it back', async () => {
    const p = pool({ connectionLimit: 1 });
    let returned = false;
    const { error, values } = await new Promise<{ error: unknown; values: unknown[]; sync: boolean }>(
      (resolve) => {
        p.getConnection((err, connection) => resolve({ error: err, values: [connection], sync: !returned }));
        returned = true;
      },
    ).then((r) => {
      expect(r.sync).toBe(false);
      return r;
    });
    expect(error).toBeNull();
    const connection = values[0] as mysql.PoolConnection;
    expect(typeof connection.threadId).toBe('number');
    p.releaseConnection(connection);
    const again = await viaCallback((cb) => p.getConnection(cb)).called;
    expect((again.values[0] as mysql.PoolConnection).threadId).toBe(connection.threadId);
    (again.values[0] as mysql.PoolConnection).release();
  });

  it('calls execute back with a TypeError for values it cannot take', async () => {
    const p = pool({ connectionLimit: 1 });
    const { error } = await viaCallback((cb) =>
      p.execute('SELECT ?', { invalid: 'object' } as unknown as mysql.ExecuteValues, cb),
    ).called;
    expect(error).toBeInstanceOf(TypeError);
  });

  it('escapes and formats as mysql2 does: escape, escapeId, format, on the pool and on pool.promise()', () => {
    const p = pool();
    for (const q of [p, p.promise()]) {
      expect(q.escape(123)).toBe('123');
      expect(q.escape("it's")).toBe("'it\\'s'");
      expect(q.escapeId('table name')).toBe('`table name`');
      expect(q.format('SELECT a FROM ?? WHERE b = ?', ['table name', 'thing'])).toBe(
        "SELECT a FROM `table name` WHERE b = 'thing'",
      );
    }
  });

  it('shows mysql2 pool.config, with a connectionConfig', () => {
    const p = pool({ connectionLimit: 3, queueLimit: 5 });
    expect(p.config).toMatchObject({ connectionLimit: 3, queueLimit: 5, waitForConnections: true });
    const config = p.config as unknown as { connectionConfig: { user: string; database: string } };
    expect(config.connectionConfig).toMatchObject({ user: server().user, database: server().database });
  });

  it('uses pool.config.connectionConfig changed after creation (namedPlaceholders)', async () => {
    const p = pool();
    (
      p.config as unknown as { connectionConfig: { namedPlaceholders: boolean } }
    ).connectionConfig.namedPlaceholders = true;
    const { error, values } = await viaCallback((cb) => p.query('SELECT :a + :a AS sum', { a: 2 }, cb))
      .called;
    expect(error).toBeNull();
    expect(values[0]).toEqual([{ sum: 4 }]);
  });

  it('uses pool.config.connectionLimit changed after creation: one session, so its temporary tables stay', async () => {
    const p = pool();
    p.config.connectionLimit = 1;
    const run = (sql: string) => viaCallback((cb) => p.query(sql, cb)).called;
    // Sent at once: with the limit still 10 they would take several sessions.
    const [created, inserted, selected] = await Promise.all([
      run('CREATE TEMPORARY TABLE compat_questions (str VARCHAR(10))'),
      run("INSERT INTO compat_questions VALUES ('abc?')"),
      run('SELECT str FROM compat_questions'),
    ]);
    expect([created.error, inserted.error, selected.error]).toEqual([null, null, null]);
    expect(selected.values[0]).toEqual([{ str: 'abc?' }]);
  });

  it('takes a URI string, and a uri option', async () => {
    const { host, port, user, password, database } = server();
    const uri = `mysql://${user}:${password}@${host}:${port}/${database}`;
    for (const p of [fromMysqlConfig(uri), fromMysqlConfig({ uri })]) {
      const { values } = await viaCallback((cb) => p.query('SELECT DATABASE() AS db', cb)).called;
      expect(values[0]).toEqual([{ db: database }]);
    }
  });

  it('wraps itself in a mysql2/promise PromisePool with promise(), sharing its connections', async () => {
    const p = pool({ connectionLimit: 1 });
    const wrapped = p.promise();
    expect(wrapped).toBeInstanceOf(mysqlClasses.PromisePool);
    const [rows] = await wrapped.query('SELECT 1 + 2 AS ttt');
    expect(rows).toEqual([{ ttt: 3 }]);
    const connection = await wrapped.getConnection();
    expect(connection).toBeInstanceOf(mysqlClasses.PromisePoolConnection);
    connection.release();
  });

  it('with gracefulEnd, ends a checked-out connection with end(): no warning, its session closed, out of the pool', async () => {
    const p = pool({ connectionLimit: 1, gracefulEnd: true });
    const connection = await viaCallback((cb) => p.getConnection(cb)).called.then(
      (r) => r.values[0] as mysql.PoolConnection,
    );
    let warned = false;
    connection.on('warn', () => {
      warned = true;
    });
    await new Promise<void>((resolve) => connection.end(() => resolve()));
    expect(warned).toBe(false);
    const fresh = await viaCallback((cb) => p.getConnection(cb)).called.then(
      (r) => r.values[0] as mysql.PoolConnection,
    );
    expect(fresh.threadId).not.toBe(connection.threadId);
    fresh.release();
  });

  it('without gracefulEnd, warns that end() on a pooled connection is deprecated, and releases it', async () => {
    const p = pool({ connectionLimit: 1 });
    const connection = await viaCallback((cb) => p.getConnection(cb)).called.then(
      (r) => r.values[0] as mysql.PoolConnection,
    );
    const warnings: Error[] = [];
    connection.on('warn', (warning: Error) => warnings.push(warning));
    await new Promise<void>((resolve) => connection.end(() => resolve()));
    expect(warnings.map((w) => w.message.slice(0, 50))).toEqual([
      'Calling conn.end() to release a pooled connection '.slice(0, 50),
    ]);
  });

  it('ends with a callback; a second end() calls back too, and the pool stays closed', async () => {
    const p = pool();
    await viaCallback((cb) => p.query('SELECT 1', cb)).called;
    const first = await viaCallback((cb) => p.end(cb)).called;
    expect(first.error).toBeFalsy();
    // mysql2 calls back (with an error when it had connections to close again).
    await viaCallback((cb) => p.end(cb)).called;
    const { error } = await viaCallback((cb) => p.query('SELECT 1', cb)).called;
    expect((error as Error).message).toBe('Pool is closed.');
  });

  it('has Symbol.dispose, which ends the pool', async () => {
    const p = pool();
    expect(typeof p[Symbol.dispose]).toBe('function');
    p[Symbol.dispose]();
    const { error } = await viaCallback((cb) => p.query('SELECT 1', cb)).called;
    expect((error as Error).message).toBe('Pool is closed.');
  });
});
