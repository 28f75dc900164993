import { expect, it } from 'vitest';
import { describePg } from './pg-suite';
import { later, nextEvent, rejectionOf, sleep, viaCallback, waitFor } from './waiting';

/**
 * The sizing and lifetime options: max, min, connectionTimeoutMillis on a full pool, idle timeout,
 * maxUses, maxLifetimeSeconds (pg-pool's connection-timeout.js, idle-timeout.js, max-uses.js,
 * lifetime-timeout.js, sizing.js).
 */
describePg('pool limits and lifetimes', ({ pool }) => {
  it('never opens more than max clients; callers wait for one', async () => {
    const p = pool({ max: 3 });
    const held = await Promise.all([p.connect(), p.connect(), p.connect()]);
    const fourth = later(p.connect());
    expect([p.totalCount, p.waitingCount]).toEqual([3, 1]);
    held[0]?.release();
    const reused = await fourth;
    expect(reused).toBe(held[0]);
    expect(p.totalCount).toBe(3);
    for (const client of [reused, held[1], held[2]]) client?.release();
  });

  it("a full pool's connect() rejects with pg's timeout error after connectionTimeoutMillis", async () => {
    const p = pool({ max: 1, connectionTimeoutMillis: 200 });
    const held = await p.connect();
    const { error, values } = await viaCallback((cb) => p.connect(cb)).called;
    expect((error as Error).message).toBe('timeout exceeded when trying to connect');
    expect(values[0]).toBeUndefined();
    expect(p.waitingCount).toBe(0);
    held.release();
  });

  it("a full pool's query() rejects with the timeout error too, and the pool recovers after the release", async () => {
    const p = pool({ max: 1, connectionTimeoutMillis: 100 });
    const held = await p.connect();
    expect((await rejectionOf(p.query('SELECT now()'))).message).toBe(
      'timeout exceeded when trying to connect',
    );
    held.release();
    expect((await p.query('SELECT $1::text AS name', ['brianc'])).rows).toEqual([{ name: 'brianc' }]);
  });

  it('a checkout that timed out does not break the checkouts queued behind it', async () => {
    const p = pool({ max: 1, connectionTimeoutMillis: 200 });
    const held = await p.connect();
    const timedOut = later(p.connect());
    await sleep(100);
    const patient = later(p.connect());
    await expect(timedOut).rejects.toThrow('timeout exceeded when trying to connect');
    held.release();
    const client = await patient;
    expect(client).toBe(held);
    client.release();
  });

  it('idleTimeoutMillis closes an idle client: counts drop to zero', async () => {
    const p = pool({ idleTimeoutMillis: 10 });
    const removed = nextEvent(p, 'remove');
    await p.query('SELECT NOW()');
    await removed;
    expect([p.idleCount, p.totalCount]).toEqual([0, 0]);
    // And the pool opens a new one when asked again.
    await p.query('SELECT NOW()');
  });

  it('idleTimeoutMillis never closes a client that is checked out', async () => {
    const p = pool({ idleTimeoutMillis: 1 });
    const client = await p.connect();
    await sleep(30);
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    client.release();
    expect([p.idleCount, p.totalCount]).toEqual([1, 1]);
  });

  it('keeps min clients past the idle timeout, and closes the ones above min', async () => {
    const p = pool({ max: 2, min: 1, idleTimeoutMillis: 10 });
    const [a, b] = await Promise.all([p.connect(), p.connect()]);
    a.release();
    b.release();
    await waitFor(() => p.totalCount === 1, 'the client above min to be closed');
    await sleep(50);
    expect([p.idleCount, p.totalCount]).toEqual([1, 1]);
  });

  it('maxUses: a client is handed out maxUses times, then closed at its release', async () => {
    const p = pool({ maxUses: 2 });
    const first = await p.connect();
    first.release();
    const second = await p.connect();
    expect(second).toBe(first);
    const removed = nextEvent(p, 'remove');
    second.release();
    expect((await removed)[0]).toBe(first);
    expect(p.totalCount).toBe(0);
    const third = await p.connect();
    expect(third).not.toBe(first);
    third.release();
  });

  it('maxUses: a queued checkout gets a fresh client when the released one is used up', async () => {
    const p = pool({ max: 1, maxUses: 2 });
    const first = await p.connect();
    const second = later(p.connect());
    const third = later(p.connect());
    expect(p.waitingCount).toBe(2);
    first.release();
    const reused = await second;
    expect(reused).toBe(first);
    reused.release();
    const fresh = await third;
    expect(fresh).not.toBe(first);
    expect(p.waitingCount).toBe(0);
    fresh.release();
  });

  it('maxLifetimeSeconds closes a client once it is idle past its lifetime, even below min', async () => {
    const p = pool({ maxLifetimeSeconds: 1, min: 1, max: 1 });
    const removed = nextEvent(p, 'remove');
    await p.query('SELECT pg_sleep(1.2)');
    await removed;
    expect([p.totalCount, p.expiredCount]).toEqual([0, 0]);
    await p.query('SELECT NOW()');
    expect(p.totalCount).toBe(1);
  });

  it('maxLifetimeSeconds counts an expired client that is checked out, and closes it at its release', async () => {
    const p = pool({ maxLifetimeSeconds: 1 });
    const client = await p.connect();
    await waitFor(() => p.expiredCount === 1, 'the checked-out client to expire', 5_000);
    expect(p.totalCount).toBe(1);
    client.release();
    expect([p.expiredCount, p.totalCount]).toEqual([0, 0]);
  });
});
