import type pg from 'pg';
import { expect, it } from 'vitest';
import { backendPid, terminate } from './pg-admin';
import { describePg } from './pg-suite';
import { later, nextEvent, rejectionOf, viaCallback, waitFor } from './waiting';

type Done = (release?: unknown) => void;

/**
 * pool.connect and client.release, the counters at each step, and the identity of the clients
 * (pg-pool's index.js, sizing.js, releasing-clients.js, error-handling.js; pg's connection-pool tests).
 */
describePg('connect and release', ({ server, pool }) => {
  it('connect() resolves with a client that queries; release() gives it back', async () => {
    const p = pool();
    const client = await p.connect();
    const res = await client.query('SELECT $1::text AS name', ['hi']);
    expect(res.rows).toEqual([{ name: 'hi' }]);
    client.release();
    expect(p.idleCount).toBe(1);
  });

  it('connect(callback) returns undefined and calls back (undefined, client, done)', async () => {
    const p = pool();
    const { returned, called } = viaCallback((cb) => p.connect(cb));
    expect(returned).toBeUndefined();
    const { error, values } = await called;
    expect(error).toBeUndefined();
    const [client, done] = values as [pg.PoolClient, Done];
    expect(typeof done).toBe('function');
    expect((await client.query('SELECT 1 AS num')).rows).toEqual([{ num: 1 }]);
    done();
    expect(p.idleCount).toBe(1);
  });

  it('counts clients at each step: total, idle, waiting', async () => {
    const p = pool({ max: 1 });
    expect([p.totalCount, p.idleCount, p.waitingCount]).toEqual([0, 0, 0]);
    const client = await p.connect();
    expect([p.totalCount, p.idleCount, p.waitingCount]).toEqual([1, 0, 0]);
    const queued = later(p.connect());
    expect(p.waitingCount).toBe(1);
    client.release();
    const second = await queued;
    expect([p.totalCount, p.idleCount, p.waitingCount]).toEqual([1, 0, 0]);
    second.release();
    expect([p.totalCount, p.idleCount, p.waitingCount]).toEqual([1, 1, 0]);
  });

  it('hands the same client object out again, to a later and to a queued connect()', async () => {
    const p = pool({ max: 1 });
    const first = await p.connect();
    first.release();
    const again = await p.connect();
    expect(again).toBe(first);
    const queued = later(p.connect());
    again.release();
    expect(await queued).toBe(first);
    first.release();
  });

  it('gives distinct clients to concurrent checkouts', async () => {
    const p = pool({ max: 2 });
    const [a, b] = await Promise.all([p.connect(), p.connect()]);
    expect(a).not.toBe(b);
    const pids = await Promise.all([a, b].map((c) => c.query('SELECT pg_backend_pid() AS pid')));
    expect(pids[0]?.rows[0].pid).not.toBe(pids[1]?.rows[0].pid);
    a.release();
    b.release();
  });

  it('throws on a second release, each time (promise and callback forms)', async () => {
    const p = pool();
    const client = await p.connect();
    client.release();
    expect(() => client.release()).toThrow(/already been released/);
    expect(() => client.release()).toThrow(/already been released/);
    const { values } = await viaCallback((cb) => p.connect(cb)).called;
    const done = values[1] as Done;
    done();
    expect(() => done()).toThrow(/already been released/);
  });

  it('release(true) destroys the client: the next connect() gets a new one', async () => {
    const p = pool({ max: 1 });
    const client = await p.connect();
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    client.release(true);
    expect([p.totalCount, p.idleCount]).toEqual([0, 0]);
    const fresh = await p.connect();
    expect(fresh).not.toBe(client);
    expect((await fresh.query('SELECT pg_backend_pid() AS pid')).rows[0].pid).not.toBe(rows[0].pid);
    fresh.release();
  });

  it('release(error) destroys the client and hands the error to the release event', async () => {
    const p = pool();
    const client = await p.connect();
    const problem = new Error('problem');
    const released = nextEvent(p, 'release');
    client.release(problem);
    const [error, releasedClient] = await released;
    expect(error).toBe(problem);
    expect(releasedClient).toBe(client);
    expect(p.totalCount).toBe(0);
  });

  it('queues several queries on one checked-out client (Promise.all): none is rejected', async () => {
    const p = pool();
    const client = await p.connect();
    const results = await Promise.all([
      client.query('SELECT 1 AS n'),
      client.query('SELECT 2 AS n'),
      client.query('SELECT 3 AS n'),
    ]);
    expect(results.map((r) => r.rows[0].n)).toEqual([1, 2, 3]);
    client.release();
  });

  it('runs a burst of 40 checkouts on max 10, each queueing three queries without waiting', async () => {
    const p = pool({ max: 10 });
    const rounds = Array.from(
      { length: 40 },
      () =>
        new Promise<number>((resolve, reject) => {
          p.connect((error, client, done) => {
            if (error || !client) return reject(error);
            const first = later(client.query('SELECT NOW()'));
            const series = later(client.query('SELECT generate_series(0, 25)'));
            client.query('SELECT NOW()', (queryError: Error | undefined) => {
              done();
              if (queryError) return reject(queryError);
              Promise.all([first, series]).then(([, r]) => resolve(r.rows.length), reject);
            });
          });
        }),
    );
    expect(await Promise.all(rounds)).toEqual(Array(40).fill(26));
    expect(p.totalCount).toBeLessThanOrEqual(10);
  });

  it('a SQL error on a checked-out client leaves it usable', async () => {
    const p = pool();
    const client = await p.connect();
    expect((await rejectionOf(client.query('SELECT LKDSJDSLKFJ'))).code).toBe('42703');
    expect((await client.query('SELECT $1::text AS name', ['foo'])).rows).toEqual([{ name: 'foo' }]);
    client.release();
    expect(p.idleCount).toBe(1);
  });

  it('removes a client that was ended before its release', async () => {
    const p = pool({ max: 1 });
    const client = await p.connect();
    expect([p.totalCount, p.idleCount]).toEqual([1, 0]);
    const ended = client.end();
    client.release();
    await ended;
    expect([p.totalCount, p.idleCount]).toEqual([0, 0]);
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('removes a client whose backend was killed while checked out, at its release', async () => {
    const p = pool({ max: 2 });
    const client = await p.connect();
    const clientErrors: Error[] = [];
    client.on('error', (error: Error) => clientErrors.push(error));
    const poolErrors: unknown[] = [];
    p.on('error', (error) => poolErrors.push(error));
    await terminate(server(), await backendPid(client));
    await waitFor(() => clientErrors.length > 0, "the checked-out client's error event");
    expect(poolErrors).toEqual([]);
    expect(p.totalCount).toBe(1);
    client.release();
    expect(p.totalCount).toBe(0);
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});
