import type pg from 'pg';
import { expect, it } from 'vitest';
import { backendPid, terminate } from './pg-admin';
import { describePg } from './pg-suite';
import { nextEvent, viaCallback, waitFor } from './waiting';

/**
 * pg.Pool's events and the client objects they carry (pg-pool's events.js, error-handling.js,
 * idle-timeout.js): the same object connect() gave, every time.
 */
describePg('events', ({ server, pool, fromPgConfig }) => {
  it("emits 'connect' with the new client before connect() calls back with that very client", async () => {
    const p = pool();
    const emitted: unknown[] = [];
    p.on('connect', (client) => emitted.push(client));
    const { values } = await viaCallback((cb) => p.connect(cb)).called;
    const client = values[0] as pg.PoolClient;
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toBe(client);
    client.release();
    // A client handed out again is not new: no second 'connect'.
    const again = await p.connect();
    expect(emitted).toHaveLength(1);
    again.release();
  });

  it("emits 'acquire' and 'release' for every checkout, by connect() and by query()", async () => {
    const p = pool();
    const acquired: unknown[] = [];
    const released: unknown[][] = [];
    p.on('acquire', (client) => acquired.push(client));
    p.on('release', (error, client) => released.push([error, client]));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      work.push(
        p.connect().then((client) => {
          client.release();
          return client;
        }),
      );
      work.push(p.query('SELECT now()'));
    }
    await Promise.all(work);
    expect(acquired).toHaveLength(20);
    expect(released).toHaveLength(20);
    for (const [error, client] of released) {
      // pg passes undefined or null: never an error, never anything else.
      expect(error == null).toBe(true);
      expect(client).toBeTruthy();
    }
  });

  it("gives 'acquire' and 'release' the client connect() returned", async () => {
    const p = pool();
    const acquired = nextEvent(p, 'acquire');
    const client = await p.connect();
    expect((await acquired)[0]).toBe(client);
    const released = nextEvent(p, 'release');
    client.release();
    expect(await released).toEqual([undefined, client]);
    expect((await released)[1]).toBe(client);
  });

  it("emits 'error' (with err.client) when an idle client's backend is killed, and 'remove', both with that client", async () => {
    const p = pool();
    const client = await p.connect();
    const pid = await backendPid(client);
    client.release();
    const errored = nextEvent(p, 'error');
    const removed = nextEvent(p, 'remove');
    await terminate(server(), pid);
    const [error, errorClient] = await errored;
    expect((error as { code?: string }).code).toBe('57P01');
    expect(errorClient).toBe(client);
    expect((await removed)[0]).toBe(client);
    await waitFor(() => p.totalCount === 0, 'the dead idle client to leave the pool');
    expect(p.idleCount).toBe(0);
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it("emits 'remove' with the client when the idle timeout closes it", async () => {
    const p = pool({ idleTimeoutMillis: 10 });
    const client = await p.connect();
    const removed = nextEvent(p, 'remove');
    client.release();
    expect((await removed)[0]).toBe(client);
    expect([p.idleCount, p.totalCount]).toEqual([0, 0]);
  });

  it("does not emit 'connect' for a connection that failed", async () => {
    const p = fromPgConfig({ ...server(), password: 'not-the-password' });
    let connects = 0;
    p.on('connect', () => connects++);
    const { error } = await viaCallback((cb) => p.connect(cb)).called;
    expect((error as { code?: string }).code).toBe('28P01');
    expect(connects).toBe(0);
  });
});
