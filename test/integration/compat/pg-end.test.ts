import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runNodeScript } from './child-process';
import { describePg } from './pg-suite';
import { useFakeServers } from './silent-servers';
import { later, rejectionOf, sleep, viaCallback } from './waiting';

/** pool.end(): its two forms, what it waits for, and the pool after it (pg-pool's ending.js, error-handling.js). */
describePg('end()', ({ subject, server, pool }) => {
  const fake = useFakeServers();
  it('ends an unused pool: end() resolves, end(callback) returns undefined and calls back', async () => {
    await pool().end();
    const { returned, called } = viaCallback((cb) => pool().end(() => cb(undefined)));
    expect(returned).toBeUndefined();
    expect((await called).error).toBeFalsy();
  });

  it('ends a pool with idle clients, and says so in ending and ended', async () => {
    const p = pool();
    const { rows } = await p.query('SELECT $1::text AS name', ['brianc']);
    expect(rows[0].name).toBe('brianc');
    expect([p.ending, p.ended]).toEqual([false, false]);
    const ended = p.end();
    expect(p.ending).toBe(true);
    await ended;
    expect(p.ended).toBe(true);
    expect(p.totalCount).toBe(0);
  });

  it('lets every query issued before end() finish (each on its own client, max 20)', async () => {
    const p = pool({ max: 20 });
    const running = later(p.query('SELECT $1::text AS name, pg_sleep(0.05)', ['brianc']));
    const queued = Array.from({ length: 19 }, (_, i) => later(p.query('SELECT $1::int AS i', [i])));
    await p.end();
    expect((await running).rows[0].name).toBe('brianc');
    expect((await Promise.all(queued)).map((r) => r.rows[0].i)).toEqual(
      Array.from({ length: 19 }, (_, i) => i),
    );
  });

  it('waits for checked-out clients: end() resolves only after their release', async () => {
    const p = pool();
    const client = await p.connect();
    let settled = false;
    const ended = p.end().then(() => {
      settled = true;
    });
    await sleep(50);
    expect(settled).toBe(false);
    client.release();
    await ended;
    expect(p.totalCount).toBe(0);
  });

  it('rejects a second end(), in both forms', async () => {
    const p = pool();
    await p.end();
    expect((await rejectionOf(p.end())).message).toBe('Called end on pool more than once');
    const { error } = await viaCallback((cb) => (p.end as (callback: (error?: Error) => void) => void)(cb))
      .called;
    expect((error as Error).message).toBe('Called end on pool more than once');
  });

  it('rejects connect() and query() after end(), in promise and callback forms', async () => {
    const p = pool();
    await p.end();
    expect(await rejectionOf(p.connect())).toBeInstanceOf(Error);
    expect(await rejectionOf(p.query('SELECT NOW()'))).toBeInstanceOf(Error);
    const queried = await viaCallback((cb) => p.query('SELECT *', cb)).called;
    expect(queried.error).toBeInstanceOf(Error);
    const connected = await viaCallback((cb) => p.connect(cb)).called;
    expect(connected.error).toBeInstanceOf(Error);
  });

  it.each([
    ['a query issued just before it, which runs', '1', 'query returned 1\nended\n'],
    ['on a server that never answers, with nothing issued', '0', 'ended\n'],
  ])('keeps the process alive until end() has finished: %s', async (name, withQuery, output) => {
    const target = name.includes('never answers') ? { ...server(), port: await fake.silent() } : server();
    const exit = await runNodeScript(join(import.meta.dirname, 'fixtures', 'pg-end-exit.mjs'), {
      COMPAT_KIND: subject.kind,
      COMPAT_SERVER: JSON.stringify(target),
      WITH_QUERY: withQuery,
    });
    expect(exit).toEqual({ code: 0, signal: null, stdout: output });
  });
});
