import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { runNodeScript } from './child-process';
import { describePg } from './pg-suite';
import { rejectionOf, viaCallback } from './waiting';

/**
 * Options as `new pg.Pool(config)` takes them, untranslated: what pg accepts must be accepted
 * (pg-pool's index.js, connection-strings.js, verify.js, lifecycle-hooks.js, logging.js,
 * idle-timeout.js's allowExitOnIdle children), and the pool's class as libraries test it.
 */
describePg('options and identity', ({ subject, server, fromPgConfig }) => {
  const savedEnv = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT };
  afterEach(() => {
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const credentials = () => ({
    user: server().user,
    password: server().password,
    database: server().database,
  });

  it('is an instance of pg.Pool whose class name contains "Pool" (Drizzle, Prisma check these)', () => {
    const p = fromPgConfig({ ...server() });
    expect(p).toBeInstanceOf(pg.Pool);
    expect(p.constructor.name).toContain('Pool');
  });

  it('takes host and port as pg does, the port as a string too', async () => {
    const p = fromPgConfig({
      ...credentials(),
      host: server().host,
      port: String(server().port) as unknown as number,
    });
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('takes no host at all: PGHOST and PGPORT, as pg does', async () => {
    process.env.PGHOST = server().host;
    process.env.PGPORT = String(server().port);
    const p = fromPgConfig(credentials());
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('takes no host and no PGHOST: localhost, as pg does', async () => {
    delete process.env.PGHOST;
    process.env.PGPORT = String(server().port);
    const p = fromPgConfig(credentials());
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('takes a connectionString', async () => {
    const { host, port, user, password, database } = server();
    const p = fromPgConfig({
      connectionString: `postgres://${user}:${password}@${host}:${port}/${database}`,
    });
    expect((await p.query('SELECT current_user AS who')).rows).toEqual([{ who: user }]);
  });

  it('takes poolSize (the old name of max) and holds that many clients at most', async () => {
    const p = fromPgConfig({ ...server(), poolSize: 9 } as pg.PoolConfig);
    await Promise.all(
      Array.from({ length: 30 }, () =>
        p.connect().then(async (client) => {
          await client.query('SELECT pg_sleep(0.01)');
          client.release();
        }),
      ),
    );
    expect(p.totalCount).toBe(9);
  });

  it("accepts the settings pg itself passes around, such as native: false (pg's test config)", async () => {
    const p = fromPgConfig({ ...server(), native: false } as pg.PoolConfig);
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('does not change the options object it was given', async () => {
    const options: pg.PoolConfig = { ...server(), max: 10 };
    const copy = { ...options };
    const p = fromPgConfig(options);
    await p.query('SELECT 1');
    expect(options).toEqual(copy);
  });

  it('shows its options with pg-pool defaults in pool.options', () => {
    const p = fromPgConfig({ ...server(), max: 4 });
    expect(p.options).toMatchObject({
      max: 4,
      idleTimeoutMillis: 10_000,
      maxUses: Number.POSITIVE_INFINITY,
    });
  });

  it('passes client options through to every client (application_name)', async () => {
    const p = fromPgConfig({ ...server(), application_name: 'compat-suite' });
    const { rows } = await p.query('SHOW application_name');
    expect(rows).toEqual([{ application_name: 'compat-suite' }]);
  });

  it('passes binary and pipeline to its clients; a pipelined client runs queries sent at once', async () => {
    // Client settings @types/pg does not declare.
    type Settings = { binary: boolean; pipeline: boolean };
    const settingsOf = (client: pg.PoolClient) => {
      const { binary, pipeline } = client as unknown as Settings;
      return { binary, pipeline };
    };
    const plain = await fromPgConfig({ ...server() }).connect();
    expect(settingsOf(plain)).toEqual({ binary: false, pipeline: false });
    plain.release();
    const client = await fromPgConfig({
      ...server(),
      binary: true,
      pipeline: true,
    } as pg.PoolConfig).connect();
    expect(settingsOf(client)).toEqual({ binary: true, pipeline: true });
    const results = await Promise.all([1, 2, 3].map((n) => client.query('SELECT $1::int AS n', [n])));
    expect(results.map((r) => r.rows[0].n)).toEqual([1, 2, 3]);
    client.release();
  });

  it('uses a Client subclass given as Client', async () => {
    class TaggedClient extends pg.Client {
      readonly tag = 'tagged';
    }
    const p = fromPgConfig({ ...server(), Client: TaggedClient });
    const client = await p.connect();
    expect(client).toBeInstanceOf(TaggedClient);
    expect((client as unknown as TaggedClient).tag).toBe('tagged');
    client.release();
  });

  it('uses a Client whose connect() takes a callback only (as pg-pool calls it)', async () => {
    class CallbackClient extends pg.Client {}
    const connectWithCallback = pg.Client.prototype.connect as (
      this: pg.Client,
      cb: (e: Error) => void,
    ) => void;
    Object.defineProperty(CallbackClient.prototype, 'connect', {
      value(this: pg.Client, callback?: (error: Error) => void) {
        if (!callback) throw new Error('this Client takes a callback');
        connectWithCallback.call(this, callback);
      },
    });
    const p = fromPgConfig({ ...server(), Client: CallbackClient });
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it("rejects connect() with the Client's own connection error, and emits no 'connect'", async () => {
    const badNews = new Error('bad news');
    // pg-pool needs only connect(callback) and the EventEmitter methods of its Client.
    function FailingClient() {
      const client = new EventEmitter() as EventEmitter & { connect(cb: (e: Error) => void): void };
      client.connect = (cb) => process.nextTick(cb, badNews);
      return client;
    }
    const p = fromPgConfig({ ...server(), Client: FailingClient as unknown as typeof pg.Client });
    let connects = 0;
    p.on('connect', () => connects++);
    expect(await rejectionOf(p.connect())).toBe(badNews);
    expect(connects).toBe(0);
  });

  it('runs verify(client, callback) on new clients; its error fails connect()', async () => {
    const p = fromPgConfig({
      ...server(),
      verify: (_client: pg.PoolClient, callback: (error?: Error) => void) => callback(new Error('nope')),
    } as pg.PoolConfig);
    const { error, values } = await viaCallback((cb) => p.connect(cb)).called;
    expect((error as Error).message).toBe('nope');
    expect(values[0]).toBeUndefined();
  });

  it('runs onConnect once per new client, before handing it out; its failure fails connect()', async () => {
    let calls = 0;
    const p = fromPgConfig({
      ...server(),
      onConnect: async (client: pg.PoolClient) => {
        calls++;
        const { rows } = await client.query('SELECT 1 AS num');
        (client as unknown as { hooked: number }).hooked = rows[0].num;
      },
    } as unknown as pg.PoolConfig);
    const client = await p.connect();
    expect((client as unknown as { hooked: number }).hooked).toBe(1);
    client.release();
    const again = await p.connect();
    expect(calls).toBe(1);
    again.release();

    const failing = fromPgConfig({
      ...server(),
      onConnect: () => {
        throw new Error('connect hook error');
      },
    } as unknown as pg.PoolConfig);
    expect((await rejectionOf(failing.connect())).message).toBe('connect hook error');
    expect(failing.totalCount).toBe(0);
  });

  it('sends its log lines to the log option', async () => {
    const messages: unknown[] = [];
    const p = fromPgConfig({
      ...server(),
      log: (...args: unknown[]) => messages.push(args),
    } as pg.PoolConfig);
    await p.query('SELECT NOW()');
    expect(messages.length).toBeGreaterThan(0);
  });

  it.each([
    ['with allowExitOnIdle, exits as soon as the pool is idle', '1', 'completed first\ncompleted second\n'],
    [
      'without it, exits once the idle timeout closed the clients',
      '0',
      'completed first\ncompleted second\nremoved\n',
    ],
  ])('lets a process with an unended pool exit: %s', async (_name, allowExitOnIdle, output) => {
    const exit = await runNodeScript(join(import.meta.dirname, 'fixtures', 'pg-idle-exit.mjs'), {
      COMPAT_KIND: subject.kind,
      COMPAT_SERVER: JSON.stringify(server()),
      ALLOW_EXIT_ON_IDLE: allowExitOnIdle,
    });
    expect(exit).toEqual({ code: 0, signal: null, stdout: output });
  });
});
