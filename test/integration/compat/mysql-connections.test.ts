import { expect, it } from 'vitest';
import { liveThreads, mysqlSideQuery } from './mysql-admin';
import type { MysqlHandle } from './mysql-handle';
import { describeMysql } from './mysql-suite';
import { later, rejectionOf, sleep, waitFor } from './waiting';

/**
 * getConnection and release, and the pool's limits: connectionLimit, queueLimit,
 * waitForConnections, maxIdle/idleTimeout, resetOnRelease, destroyed and killed connections
 * (mysql2's test-pool-getconnection-contract, -double-release, -disconnect, -destroy-removes-
 * connection, -release-idle-connection*, pool/test-pool-reset-on-release, graceful-end).
 */
describeMysql('connections and limits', ({ pool, server }) => {
  /** Opens `count` connections at once, releases them all, and gives their thread ids. */
  async function openAndRelease(p: MysqlHandle, count: number): Promise<number[]> {
    const held = await Promise.all(Array.from({ length: count }, () => p.getConnection()));
    for (const c of held) c.release();
    return held.map((c) => c.threadId);
  }

  it('gives a connection that queries; a released one is handed out again, the same object', async () => {
    const p = pool({ connectionLimit: 2 });
    const first = await p.getConnection();
    expect(await first.query('SELECT 1 AS result')).toEqual([{ result: 1 }]);
    first.release();
    const again = await p.getConnection();
    expect(again.threadId).toBe(first.threadId);
    expect(again.identity).toBe(first.identity);
    again.release();
  });

  it('opens at most connectionLimit connections; the next caller waits for a release', async () => {
    const p = pool({ connectionLimit: 2 });
    const [a, b] = await Promise.all([p.getConnection(), p.getConnection()]);
    expect(a?.threadId).not.toBe(b?.threadId);
    let served = false;
    const third = later(
      p.getConnection().then((c) => {
        served = true;
        return c;
      }),
    );
    await sleep(50);
    expect(served).toBe(false);
    a.release();
    const c = await third;
    expect(c.threadId).toBe(a.threadId);
    c.release();
    b.release();
  });

  it("refuses the caller beyond queueLimit with mysql2's 'Queue limit reached.'", async () => {
    const p = pool({ connectionLimit: 1, queueLimit: 1 });
    const held = await p.getConnection();
    const queued = later(p.getConnection());
    const refused = await rejectionOf(p.getConnection());
    expect(refused.message).toBe('Queue limit reached.');
    held.release();
    (await queued).release();
  });

  it("with waitForConnections false, refuses at once with 'No connections available.'", async () => {
    const p = pool({ connectionLimit: 1, waitForConnections: false });
    const held = await p.getConnection();
    expect((await rejectionOf(p.getConnection())).message).toBe('No connections available.');
    expect((await rejectionOf(p.query('SELECT 1'))).message).toBe('No connections available.');
    held.release();
  });

  it('ignores a second release: two later checkouts get two different connections', async () => {
    const p = pool({ connectionLimit: 2 });
    const connection = await p.getConnection();
    connection.release();
    connection.release();
    const [a, b] = await Promise.all([p.getConnection(), p.getConnection()]);
    expect(a.identity).not.toBe(b.identity);
    expect(a.threadId).not.toBe(b.threadId);
    a.release();
    b.release();
  });

  it('drops a destroyed connection: its session ends, the pool opens a new one', async () => {
    const p = pool({ connectionLimit: 1 });
    const connection = await p.getConnection();
    const threadId = connection.threadId;
    connection.destroy();
    await waitFor(async () => (await liveThreads(server(), [threadId])).length === 0, 'the session to end');
    const fresh = await p.getConnection();
    expect(fresh.threadId).not.toBe(threadId);
    expect(await fresh.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    fresh.release();
  });

  it('serves a new connection after an idle one was killed by another session', async () => {
    const p = pool({ connectionLimit: 1 });
    const connection = await p.getConnection();
    const threadId = connection.threadId;
    connection.release();
    await mysqlSideQuery(server(), `KILL ${threadId}`);
    await waitFor(async () => (await liveThreads(server(), [threadId])).length === 0, 'the session to end');
    await sleep(50);
    const fresh = await p.getConnection();
    expect(fresh.threadId).not.toBe(threadId);
    expect(await fresh.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    fresh.release();
  });

  it('with maxIdle below the limit, closes the idle connections beyond maxIdle and reuses the one kept', async () => {
    const p = pool({ connectionLimit: 3, maxIdle: 1, idleTimeout: 60_000 });
    const ids = await openAndRelease(p, 3);
    await waitFor(
      async () => (await liveThreads(server(), ids)).length === 1,
      'the idle connections beyond maxIdle to close',
    );
    const [kept] = await liveThreads(server(), ids);
    const reused = await p.getConnection();
    expect(reused.threadId).toBe(kept);
    reused.release();
  });

  it('with maxIdle below the limit, closes every connection idle longer than idleTimeout', async () => {
    const p = pool({ connectionLimit: 3, maxIdle: 1, idleTimeout: 300 });
    const ids = await openAndRelease(p, 3);
    await waitFor(
      async () => (await liveThreads(server(), ids)).length === 0,
      'every idle connection to close',
    );
    const fresh = await p.getConnection();
    expect(ids).not.toContain(fresh.threadId);
    fresh.release();
  });

  it('with maxIdle equal to the limit (the default), keeps idle connections past idleTimeout', async () => {
    const p = pool({ connectionLimit: 2, idleTimeout: 100 });
    const ids = await openAndRelease(p, 2);
    await sleep(400);
    expect(await liveThreads(server(), ids)).toEqual([...ids].sort((x, y) => x - y));
  });

  it('with resetOnRelease, a released connection comes back without its session state', async () => {
    const p = pool({ connectionLimit: 1, resetOnRelease: true });
    const first = await p.getConnection();
    await first.query("SET @pool_test = 'first_user'");
    first.release();
    const second = await p.getConnection();
    expect(await second.query('SELECT @pool_test AS val')).toEqual([{ val: null }]);
    second.release();

    const keeping = pool({ connectionLimit: 1, resetOnRelease: false });
    const a = await keeping.getConnection();
    await a.query("SET @kept = 'persistent'");
    a.release();
    const b = await keeping.getConnection();
    expect(await b.query('SELECT @kept AS val')).toEqual([{ val: 'persistent' }]);
    b.release();
  });
});
