import { expect, it } from 'vitest';
import { describeMysql } from './mysql-suite';
import { later, waitFor } from './waiting';

/** The pool's events: connection, acquire, release, enqueue (mysql2's promise-wrappers testEventsPool, test-pool-disconnect). */
describeMysql('events', ({ pool }) => {
  it("emits 'connection' once per new connection, 'acquire' per checkout and 'release' per release", async () => {
    const p = pool({ connectionLimit: 2 });
    const counts = { connection: 0, acquire: 0, release: 0 };
    for (const event of Object.keys(counts) as (keyof typeof counts)[])
      p.pool.on(event, () => counts[event]++);
    const first = await p.getConnection();
    first.release();
    const again = await p.getConnection();
    again.release();
    await p.query('SELECT 1');
    await waitFor(() => counts.release === 3, 'three release events');
    expect(counts).toEqual({ connection: 1, acquire: 3, release: 3 });
  });

  it("carries the connection: 'connection', 'acquire' and 'release' get the same object, its threadId", async () => {
    const p = pool({ connectionLimit: 1 });
    const seen: Record<string, { threadId?: number }[]> = { connection: [], acquire: [], release: [] };
    for (const event of Object.keys(seen))
      p.pool.on(event, (c: { threadId?: number }) => seen[event]?.push(c));
    const connection = await p.getConnection();
    connection.release();
    await waitFor(() => seen.release?.length === 1, 'the release event');
    const [created] = seen.connection ?? [];
    expect(created).toBe(connection.identity);
    expect(created?.threadId).toBe(connection.threadId);
    expect(seen.acquire?.[0]).toBe(created);
    expect(seen.release?.[0]).toBe(created);
  });

  it("emits 'enqueue' when a caller has to wait for a connection", async () => {
    const p = pool({ connectionLimit: 1 });
    let enqueued = 0;
    p.pool.on('enqueue', () => enqueued++);
    const held = await p.getConnection();
    const waiting = later(p.query('SELECT 1 AS ok'));
    await waitFor(() => enqueued === 1, 'the enqueue event');
    held.release();
    expect(await waiting).toEqual([{ ok: 1 }]);
  });
});
