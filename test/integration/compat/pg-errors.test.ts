import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { expect, it } from 'vitest';
import { backendPid, sideQuery, terminate } from './pg-admin';
import { describePg } from './pg-suite';
import { useFakeServers } from './silent-servers';
import { later, rejectionOf, viaCallback, waitFor } from './waiting';

/** pg's own failures should fail fast: a refused connection, a silent server, a refused login. */
const FAILS_FAST_MS = 5_000;

/**
 * Connection failures and killed backends, and where their errors go (pg-pool's index.js,
 * connection-timeout.js, error-handling.js; pg's connection-pool/error-tests.js).
 */
describePg('connection errors and killed backends', ({ subject, server, pool, fromPgConfig }) => {
  const fake = useFakeServers();
  const onPort = (port: number, options: pg.PoolConfig = {}) =>
    fromPgConfig({ ...server(), host: '127.0.0.1', port, ...options });

  /** A sequence counting how many times a statement really ran (nextval is not rolled back). */
  async function runCounter(): Promise<{ next: string; count: () => Promise<number> }> {
    const name = `compat_runs_${randomBytes(4).toString('hex')}`;
    await sideQuery(server(), `CREATE SEQUENCE ${name}`);
    return {
      next: `nextval('${name}')`,
      count: async () => {
        const [row] = await sideQuery<{ last: string; called: boolean }>(
          server(),
          `SELECT last_value AS last, is_called AS called FROM ${name}`,
        );
        return row?.called ? Number(row.last) : 0;
      },
    };
  }

  it(
    'rejects a query on a refused port with ECONNREFUSED, leaving no client behind',
    async () => {
      const p = onPort(await fake.refusing());
      const [promised, called] = await Promise.all([
        rejectionOf(p.query('SELECT $1::text AS name', ['brianc'])),
        viaCallback((cb) => p.query('SELECT 1', cb)).called,
      ]);
      expect(promised.code).toBe('ECONNREFUSED');
      expect((called.error as { code?: string }).code).toBe('ECONNREFUSED');
      expect(called.values[0]).toBeUndefined();
      expect(p.totalCount).toBe(0);
    },
    FAILS_FAST_MS,
  );

  it(
    'calls connect() back with the error, no client and a callable release on a refused port',
    async () => {
      const p = onPort(await fake.refusing());
      const { error, values } = await viaCallback((cb) => p.connect(cb)).called;
      expect((error as { code?: string }).code).toBe('ECONNREFUSED');
      expect(values[0]).toBeUndefined();
      expect(typeof values[1]).toBe('function');
    },
    FAILS_FAST_MS,
  );

  it(
    'fails each queued checkout when the server hangs up on every connection',
    async () => {
      const p = onPort(await fake.hangingUp(), { max: 1 });
      const errors = await Promise.all([rejectionOf(p.connect()), rejectionOf(p.connect())]);
      for (const error of errors) {
        expect(error).toBeInstanceOf(Error);
        expect(error.code === undefined || error.code === 'ECONNRESET').toBe(true);
      }
    },
    FAILS_FAST_MS,
  );

  it(
    'rejects connect() to a server that never answers with a timeout error after connectionTimeoutMillis',
    async () => {
      const p = onPort(await fake.silent(), { connectionTimeoutMillis: 50 });
      const errors: Error[] = [];
      for (let i = 0; i < 5; i++) errors.push(await rejectionOf(p.connect()));
      for (const error of errors) expect(error.message).toMatch(/timeout/);
      expect(p.idleCount).toBe(0);
    },
    FAILS_FAST_MS,
  );

  it(
    "passes a refused login's error through (28P01)",
    async () => {
      const p = fromPgConfig({ ...server(), password: 'wrong' });
      expect((await rejectionOf(p.query('SELECT 1'))).code).toBe('28P01');
    },
    FAILS_FAST_MS,
  );

  it("passes pg_terminate_backend of a query's own backend to the caller (57P01), and does not run it again", async () => {
    const p = pool();
    const runs = await runCounter();
    const error = await rejectionOf(p.query(`SELECT ${runs.next}, pg_terminate_backend(pg_backend_pid())`));
    expect(error.code).toBe('57P01');
    expect(await runs.count()).toBe(1);
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it("passes an operator's pg_terminate_backend of a running pool.query to the caller, and does not run it again", async () => {
    const p = pool({ max: 1 });
    const runs = await runCounter();
    const marker = `compat-${randomBytes(4).toString('hex')}`;
    const sleeper = later(p.query(`SELECT ${runs.next}, pg_sleep(3), '${marker}'`));
    let pid: number | undefined;
    await waitFor(async () => {
      const rows = await sideQuery<{ pid: number }>(
        server(),
        "SELECT pid FROM pg_stat_activity WHERE query LIKE '%' || $1 || '''' AND pid <> pg_backend_pid()",
        [marker],
      );
      pid = rows[0]?.pid;
      return pid !== undefined;
    }, 'the query to show in pg_stat_activity');
    await terminate(server(), pid as number);
    expect((await rejectionOf(sleeper)).code).toBe('57P01');
    expect(await runs.count()).toBe(1);
  });

  it('on a checked-out client killed by its own query: that query gets 57P01, the queued one and later ones fail', async () => {
    const p = pool();
    const client = await p.connect();
    const clientErrors: Error[] = [];
    client.on('error', (error: Error) => clientErrors.push(error));
    const killing = later(client.query('SELECT pg_terminate_backend(pg_backend_pid())'));
    const queued = later(client.query('SELECT 1'));
    expect((await rejectionOf(killing)).code).toBe('57P01');
    const lost = await rejectionOf(queued);
    await waitFor(() => clientErrors.length > 0, "the client's error event");
    const afterwards = await rejectionOf(client.query('SELECT 1'));
    if (subject.kind === 'raw') {
      expect(lost.message).toBe('Connection terminated unexpectedly');
      expect(afterwards.message).toBe('Client has encountered a connection error and is not queryable');
    } else {
      // Deliberate (docs/compatibility.md): on a checked-out client, statements run one at a time,
      // and once the server said it ended the session, those after it are refused as not sent.
      expect(lost.code).toBe('NODE_UNAVAILABLE');
      expect(lost.message).toContain('lost its connection to it');
      expect(afterwards.code).toBe('NODE_UNAVAILABLE');
    }
    client.release(clientErrors[0]);
    expect(p.totalCount).toBe(0);
  });

  it('keeps a checked-out client in the pool when its backend dies, emits no pool error, and drops it at release', async () => {
    const p = pool({ max: 2 });
    const poolErrors: unknown[] = [];
    p.on('error', (error) => poolErrors.push(error));
    const [victim, other] = await Promise.all([p.connect(), p.connect()]);
    const victimErrors: Error[] = [];
    victim.on('error', (error: Error) => victimErrors.push(error));
    await terminate(server(), await backendPid(victim));
    await waitFor(() => victimErrors.length > 0, "the killed client's error event");
    expect(poolErrors).toEqual([]);
    expect(p.totalCount).toBe(2);
    victim.release(victimErrors[0]);
    other.release();
    expect([p.totalCount, p.idleCount]).toEqual([1, 1]);
  });

  it('callback of pool.connect gets the client a killed backend left; the pool carries on', async () => {
    const p = pool({ max: 1 });
    const { values } = await viaCallback((cb) => p.connect(cb)).called;
    const [client, done] = values as [pg.PoolClient, (release?: unknown) => void];
    const errors: Error[] = [];
    client.on('error', (error: Error) => errors.push(error));
    await terminate(server(), await backendPid(client));
    await waitFor(() => errors.length > 0, "the client's error event");
    done(errors[0]);
    expect((await p.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});
