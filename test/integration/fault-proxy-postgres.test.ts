/**
 * The fault proxy in front of a real PostgreSQL, started by the harness (one node, its superuser
 * trusted over loopback), driven by node-postgres.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy, type PgCluster, startPgCluster } from '../../src/testing';
import { eventually, tcpHandles } from '../support/fault-proxy-helpers';
import { pgSources } from './support/pg-fixture';

const [source] = pgSources();
let cluster: PgCluster;
/** The node's address and its superuser, filled in once the cluster is up. */
const PG = { host: '127.0.0.1', port: 0, user: 'postgres', database: 'postgres' };

/** A table of the test's own cluster. */
const table = 'proxied_rows';

let direct: pg.Client;
let proxy: FaultProxy;
const clients: pg.Client[] = [];

/** A pg client through the proxy; its errors are recorded, never thrown. */
async function viaProxy(config: pg.ClientConfig = {}): Promise<pg.Client & { errors: Error[] }> {
  const client = Object.assign(new pg.Client({ ...PG, host: proxy.host, port: proxy.port, ...config }), {
    errors: [] as Error[],
  });
  client.on('error', (err) => client.errors.push(err));
  clients.push(client);
  await client.connect();
  return client;
}

async function rows(): Promise<number[]> {
  const result = await direct.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`);
  return result.rows.map((r) => r.id);
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe.skipIf(!source)('fault proxy in front of PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPgCluster({ source, replicas: 0 });
    PG.port = cluster.node('node1').port;
    PG.user = cluster.superuser.user;
    direct = new pg.Client(PG);
    direct.on('error', () => {});
    await direct.connect();
    await direct.query(`CREATE TABLE ${table} (id int)`);
  });

  afterAll(async () => {
    await direct?.end();
    await cluster?.destroy();
  });

  beforeEach(async () => {
    await direct.query(`TRUNCATE ${table}`);
    proxy = await createFaultProxy({ target: { host: PG.host, port: PG.port }, protocol: 'postgres' });
  });

  afterEach(async () => {
    await proxy.close();
    for (const client of clients.splice(0)) await client.end().catch(() => {});
    await eventually(() => tcpHandles() === 1, 2000, 'only the direct client left'); // no leak
  });

  it('carries a session: simple and extended protocol', async () => {
    const client = await viaProxy();
    expect((await client.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    expect((await client.query('SELECT $1::int + 1 AS y', [41])).rows).toEqual([{ y: 42 }]);
    expect(proxy.connections()[0]).toMatchObject({ passthrough: false, serverConnected: true });
  });

  it("cutOn COMMIT 'after': the client loses the connection, the row is committed", async () => {
    const cut = proxy.cutOn(/^COMMIT/i, { when: 'after' });
    const client = await viaProxy();
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${table} VALUES (1)`);
    const err = await failure(client.query('COMMIT'));
    expect(err.message).toMatch(/terminated|closed|ECONNRESET/i);
    expect(cut.cuts).toBe(1);
    expect(proxy.stats().cuts).toBe(1);
    expect(await rows()).toEqual([1]);
  });

  it("cutOn COMMIT 'before': the client loses the connection, the row is not committed", async () => {
    proxy.cutOn('commit', { when: 'before' });
    const client = await viaProxy();
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${table} VALUES (2)`);
    await failure(client.query('COMMIT'));
    expect(await rows()).toEqual([]);
  });

  it('cutOn matches Parse messages (parameterized statements, autocommit)', async () => {
    const after = proxy.cutOn(new RegExp(`^INSERT INTO ${table}`), { when: 'after', times: 1 });
    const a = await viaProxy();
    await failure(a.query(`INSERT INTO ${table} VALUES ($1)`, [3]));
    expect(after.cuts).toBe(1);
    expect(await rows()).toEqual([3]);
    await after.off();

    proxy.cutOn(new RegExp(`^INSERT INTO ${table}`), { when: 'before' });
    const b = await viaProxy();
    await failure(b.query(`INSERT INTO ${table} VALUES ($1)`, [4]));
    expect(await rows()).toEqual([3]);
  });

  it('cutOn stops after `times` cuts', async () => {
    const cut = proxy.cutOn(/^COMMIT/i, { when: 'before', times: 1 });
    const a = await viaProxy();
    await a.query('BEGIN');
    await failure(a.query('COMMIT'));
    const b = await viaProxy();
    await b.query('BEGIN');
    await b.query(`INSERT INTO ${table} VALUES (5)`);
    await b.query('COMMIT');
    expect(cut.cuts).toBe(1);
    expect(await rows()).toEqual([5]);
  });

  it("cutOn with how: 'reset' gives the client ECONNRESET", async () => {
    proxy.cutOn(/^SELECT 42/, { when: 'after', how: 'reset' });
    const client = await viaProxy();
    const err = await failure(client.query('SELECT 42'));
    expect(err.message).toMatch(/ECONNRESET|terminated/);
  });

  it('sliceWrites: a real session works through 1-7 byte fragments, and cutOn still finds statements', async () => {
    proxy.sliceWrites();
    const client = await viaProxy();
    expect((await client.query('SELECT $1::text AS t', ['sliced'])).rows).toEqual([{ t: 'sliced' }]);
    const cut = proxy.cutOn(/^COMMIT/i, { when: 'after' });
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${table} VALUES (6)`);
    await failure(client.query('COMMIT'));
    expect(cut.cuts).toBe(1);
    expect(await rows()).toEqual([6]);
  });

  it('latency: a round trip takes at least twice the one-way delay', async () => {
    const client = await viaProxy();
    proxy.latency(50);
    const start = performance.now();
    await client.query('SELECT 1');
    expect(performance.now() - start).toBeGreaterThanOrEqual(95);
  });

  it('blackhole: a query times out and the connection stays open', async () => {
    const client = await viaProxy({ query_timeout: 300 });
    proxy.blackhole();
    const err = await failure(client.query('SELECT 1'));
    expect(err.message).toMatch(/timeout/i);
    expect(proxy.stats().open).toBe(1);
  });

  it('reset: the client sees ECONNRESET', async () => {
    const client = await viaProxy();
    await client.query('SELECT 1');
    proxy.reset();
    await eventually(() => client.errors.length > 0, 2000, 'client error');
    expect((client.errors[0] as Error & { code?: string }).code).toBe('ECONNRESET');
  });

  it('refuse: connecting fails with ECONNREFUSED; off() accepts again', async () => {
    const refusing = await proxy.refuse();
    const client = new pg.Client({ ...PG, host: proxy.host, port: proxy.port });
    client.on('error', () => {});
    const err = await failure(client.connect());
    expect(err.code).toBe('ECONNREFUSED');
    await refusing.off();
    const ok = await viaProxy();
    expect((await ok.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
  });

  it('closeAfter: a connection dies in the middle of the startup exchange', async () => {
    proxy.closeAfter(100, { scope: 'new' });
    const client = new pg.Client({ ...PG, host: proxy.host, port: proxy.port });
    client.on('error', () => {});
    await failure(client.connect());
    expect(proxy.stats().closedAfterBytes).toBe(1);
  });
});
