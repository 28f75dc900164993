import type pg from 'pg';
import { expect, it } from 'vitest';
import { describePg } from './pg-suite';
import { later, rejectionOf, viaCallback } from './waiting';

/** pool.query in every form pg.Pool takes, and what it does with errors (pg-pool's index.js, error-handling.js, sizing.js). */
describePg('pool.query', ({ subject, pool }) => {
  it('runs text and text+values queries, resolving with pg results', async () => {
    const p = pool();
    const plain = await p.query('SELECT 1 AS num');
    expect(plain.rows).toEqual([{ num: 1 }]);
    expect(plain.rowCount).toBe(1);
    expect(plain.command).toBe('SELECT');
    expect(plain.fields.map((f) => f.name)).toEqual(['num']);
    const withValues = await p.query('SELECT $1::text AS name', ['brianc']);
    expect(withValues.rows).toEqual([{ name: 'brianc' }]);
  });

  it('takes a config object: text and values, rowMode array, a name (prepared)', async () => {
    const p = pool();
    const config = await p.query({ text: 'SELECT $1::int + 1 AS n', values: [41] });
    expect(config.rows).toEqual([{ n: 42 }]);
    const arrays = await p.query({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' });
    expect(arrays.rows).toEqual([[1, 2]]);
    const named = await p.query({ name: 'compat-named', text: 'SELECT $1::int AS n', values: [7] });
    expect(named.rows).toEqual([{ n: 7 }]);
    const again = await p.query({ name: 'compat-named', text: 'SELECT $1::int AS n', values: [8] });
    expect(again.rows).toEqual([{ n: 8 }]);
  });

  it('takes a callback, with and without values, and then returns undefined', async () => {
    const p = pool();
    const bare = viaCallback((cb) => p.query('SELECT 1 AS num', cb));
    expect(bare.returned).toBeUndefined();
    const { error, values } = await bare.called;
    expect(error).toBeFalsy();
    expect((values[0] as pg.QueryResult).rows).toEqual([{ num: 1 }]);

    const valued = viaCallback((cb) => p.query('SELECT $1::text AS name', ['brianc'], cb));
    expect(valued.returned).toBeUndefined();
    expect(((await valued.called).values[0] as pg.QueryResult).rows).toEqual([{ name: 'brianc' }]);

    const config = viaCallback((cb) => p.query({ text: 'SELECT $1::int AS n', values: [3] }, cb));
    expect(((await config.called).values[0] as pg.QueryResult).rows).toEqual([{ n: 3 }]);
  });

  it('calls a query callback asynchronously, never before query() returns', async () => {
    const p = pool();
    let returned = false;
    let calledBeforeReturn: boolean | undefined;
    await new Promise<void>((resolve) => {
      p.query('SELECT 1', () => {
        calledBeforeReturn = !returned;
        resolve();
      });
      returned = true;
    });
    expect(calledBeforeReturn).toBe(false);
  });

  it('passes a SQL error to the caller (promise and callback) and keeps working', async () => {
    const p = pool({ max: 1 });
    const errors = await Promise.all(
      Array.from({ length: 20 }, () => rejectionOf(p.query('SELECT * FROM no_such_table_here'))),
    );
    expect(errors.map((e) => e.code)).toEqual(Array(20).fill('42P01'));
    const { error, values } = await viaCallback((cb) => p.query("SELECT 'asd'+1", cb)).called;
    expect((error as { code?: string }).code).toBe('22P02');
    expect(values[0]).toBeUndefined();
    expect((await p.query('SELECT $1::text AS name', ['hi'])).rows).toEqual([{ name: 'hi' }]);
  });

  it('a query error gives its client back destroyed: no client left behind', async () => {
    const p = pool();
    await Promise.all(
      Array.from({ length: 5 }, () => p.query('SELECT asldkfjasldkf').catch(() => undefined)),
    );
    expect(p.totalCount).toBe(0);
    expect(p.idleCount).toBe(0);
  });

  it('rejects (does not throw) a null query, and calls back with an error when given only a callback', async () => {
    const p = pool();
    await expect(p.query(null as unknown as string)).rejects.toBeInstanceOf(Error);
    const { error } = await viaCallback((cb) =>
      (p.query as unknown as (cb: (e: unknown) => void) => void)(cb),
    ).called;
    expect(error).toBeInstanceOf(Error);
  });

  it('counts the client a query takes at once: totalCount 1, idleCount 0 as soon as query() returns', async () => {
    const p = pool();
    const running = later(p.query('SELECT NOW()'));
    if (subject.kind === 'raw') expect([p.totalCount, p.idleCount]).toEqual([1, 0]);
    // Deliberate (docs/compatibility.md): a new failover-pool first finds its primary; the query waits.
    else expect([p.totalCount, p.idleCount, p.waitingCount]).toEqual([0, 0, 1]);
    await running;
    expect([p.totalCount, p.idleCount]).toEqual([1, 1]);
  });

  it('runs 30 concurrent queries on 9 clients (max) and reuses them', async () => {
    const p = pool({ max: 9 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => p.query({ text: 'SELECT $1::int AS i', values: [i] })),
    );
    expect(results.map((r) => r.rows[0].i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(p.totalCount).toBeLessThanOrEqual(9);
    expect(p.idleCount).toBe(p.totalCount);
  });

  it('with max 1, sends one query at a time: each sees only itself running', async () => {
    const p = pool({ max: 1 });
    const text = 'SELECT COUNT(*)::int AS running FROM pg_stat_activity WHERE query = $1';
    const results = await Promise.all(Array.from({ length: 20 }, () => p.query(text, [text])));
    expect(results.map((r) => r.rows[0].running)).toEqual(Array(20).fill(1));
  });
});
