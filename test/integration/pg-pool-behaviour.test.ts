import { afterEach, describe, expect, it } from 'vitest';
import { createPgPool, type FailoverPgPool } from '../../src/drivers/pg';
import {
  ClusterMismatchError,
  NodeUnavailableError,
  NoPrimaryError,
  WriteOutcomeUnknownError,
} from '../../src/index';
import type { PgCluster } from '../../src/testing';
import { address, appQuery, clusterWithTable, pgSources, sleep } from './support/pg-cluster';

/** The pool's behaviour around a failover beyond the steady write stream: issue 2 scenarios 4 to 6. */
describe.each(pgSources())('pg pool on PostgreSQL (%s)', (source) => {
  const clusters: PgCluster[] = [];
  let pool: FailoverPgPool | undefined;

  afterEach(async () => {
    await pool?.end();
    pool = undefined;
    await Promise.all(clusters.splice(0).map((c) => c.destroy()));
  });

  async function start(options: Parameters<typeof clusterWithTable>[0] = {}): Promise<PgCluster> {
    const cluster = await clusterWithTable({ source, ...options });
    clusters.push(cluster);
    return cluster;
  }

  it('pins a client to its node: after a failover its next query fails, it is destroyed, and a new one works', async () => {
    const cluster = await start();
    pool = createPgPool({ ...cluster.connectionOptions, max: 4 });
    const client = await pool.connect(); // no error listener, as in most apps
    await client.query('INSERT INTO writes VALUES (1)');

    cluster.kill('node1', 'SIGKILL');
    await sleep(300);
    await cluster.promote('node2');

    const error = await client.query('INSERT INTO writes VALUES (2)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    expect(error).toMatchObject({
      code: 'NODE_UNAVAILABLE',
      host: '127.0.0.1',
      port: cluster.node('node1').port,
    });
    client.release();
    expect(pool.idleCount).toBe(0); // destroyed, not returned to a pool

    const fresh = await pool.connect();
    const { rows } = await fresh.query<{ port: number }>('SELECT inet_server_port() AS port');
    expect(rows[0]?.port).toBe(cluster.node('node2').port);
    await fresh.query('INSERT INTO writes VALUES (2)');
    fresh.release();
    expect(pool.idleCount).toBe(1);
  });

  it('fails a pinned transaction whose COMMIT is caught by a switchover with a FailoverPoolError', async () => {
    const cluster = await start();
    pool = createPgPool({ ...cluster.connectionOptions });
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO writes VALUES (10)');
    await cluster.switchover('node2');
    const error = await client.query('COMMIT').catch((e: unknown) => e);
    // The connection was closed by the shutdown before COMMIT left: certainly not committed.
    expect(error).toBeInstanceOf(NodeUnavailableError);
    client.release();
    const rows = await appQuery(cluster, 'node2', 'SELECT id FROM writes WHERE id = 10');
    expect(rows).toEqual([]);
    // The pool itself carries on on the new primary.
    await pool.query('INSERT INTO writes VALUES (11)');
    expect(pool.topology().primary).toBe(address(cluster, 'node2'));
  });

  it('refuses queries on a used client pinned to a primary that hung and was replaced; moves an unused one', async () => {
    const cluster = await start();
    pool = createPgPool({ ...cluster.connectionOptions });
    const used = await pool.connect();
    await used.query('SELECT 1');
    const unused = await pool.connect(); // as Kysely takes one per query
    cluster.kill('node1', 'SIGSTOP');
    await sleep(1500);
    await cluster.promote('node2');
    await sleep(300);
    cluster.kill('node1', 'SIGCONT');
    await sleep(1200);

    const error = await used.query('INSERT INTO writes VALUES (3)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    used.release();

    // Nothing ran on `unused` yet, so its first statement follows the pool's rules: it runs on node2.
    const { rows } = await unused.query<{ port: number }>(
      'INSERT INTO writes VALUES (4) RETURNING inet_server_port() AS port',
    );
    expect(rows[0]?.port).toBe(cluster.node('node2').port);
    unused.release();
    expect(await appQuery(cluster, 'node1', 'SELECT id FROM writes')).toEqual([]);
  });

  it('reports a commit that waited for its synchronous standby at shutdown as outcome-unknown, not re-run', async () => {
    const cluster = await start({ synchronous: true });
    pool = createPgPool({ ...cluster.connectionOptions, failover: { waitForPrimaryMs: 3000 } });
    await pool.query('INSERT INTO writes VALUES (1)');
    cluster.kill('node2', 'SIGSTOP'); // the synchronous standby stops acknowledging
    const write = pool.query('INSERT INTO writes VALUES (2)').catch((e: unknown) => e);
    await sleep(500); // the commit is now waiting for node2
    // Fast shutdown: the backend says the commit "has already committed locally" and hangs up.
    const stopped = cluster.stop('node1');
    const error = await write;
    expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
    cluster.kill('node2', 'SIGCONT'); // else the shutdown waits for node2 until wal_sender_timeout
    await stopped;
    await cluster.start('node1');
    // It had committed on node1: re-running it would have been a duplicate.
    expect(await appQuery(cluster, 'node1', 'SELECT id FROM writes WHERE id = 2')).toEqual([{ id: '2' }]);
  });

  it('never lets a connect that was under way to a hung primary write there once it wakes up', async () => {
    const cluster = await start({ replicas: 1 });
    pool = createPgPool({ ...cluster.connectionOptions, max: 2 });
    await pool.query('INSERT INTO writes VALUES (0)'); // one idle client now
    cluster.kill('node1', 'SIGSTOP');
    const inFlight = pool.query('INSERT INTO writes VALUES (1)').catch((e: unknown) => e); // on the idle client
    const connecting = pool.query('INSERT INTO writes VALUES (2)'); // opens a new connection: hangs in connect
    await sleep(2000);
    await cluster.promote('node2');
    await sleep(500);
    cluster.kill('node1', 'SIGCONT'); // the hung connect completes now, to a stale primary
    expect(await inFlight).toBeInstanceOf(WriteOutcomeUnknownError);
    await connecting;
    expect(await appQuery(cluster, 'node2', 'SELECT id FROM writes WHERE id = 2')).toEqual([{ id: '2' }]);
    await sleep(500);
    expect(await appQuery(cluster, 'node1', 'SELECT id FROM writes WHERE id = 2')).toEqual([]);
  });

  it('moves callers queued for a client of a retired primary to the new one', async () => {
    const cluster = await start({ replicas: 1 });
    pool = createPgPool({ ...cluster.connectionOptions, max: 1 });
    await pool.query('INSERT INTO writes VALUES (0)');
    cluster.kill('node1', 'SIGSTOP');
    const holder = pool.query('INSERT INTO writes VALUES (1)').catch((e: unknown) => e); // takes the only client
    await sleep(50);
    const queued = pool.query('INSERT INTO writes VALUES (2)'); // waits in node1's pg.Pool for a client
    await sleep(1500);
    await cluster.promote('node2');
    expect(await holder).toBeInstanceOf(WriteOutcomeUnknownError);
    await queued; // the test times out if it waits forever
    expect(await appQuery(cluster, 'node2', 'SELECT id FROM writes WHERE id = 2')).toEqual([{ id: '2' }]);
    cluster.kill('node1', 'SIGCONT');
  });

  it('waits a bounded time when every node is down, then recovers fully once they return', async () => {
    const cluster = await start();
    pool = createPgPool({
      ...cluster.connectionOptions,
      failover: { waitForPrimaryMs: 1500, maxWaiting: 3 },
    });
    await pool.query('INSERT INTO writes VALUES (1)');
    for (const node of ['node1', 'node2', 'node3']) cluster.kill(node, 'SIGKILL');
    while (pool.topology().nodes.some((n) => n.healthy)) await sleep(20);

    const started = performance.now();
    const waiting = [1, 2, 3].map((i) =>
      pool!.query('INSERT INTO writes VALUES ($1)', [100 + i]).catch((e: unknown) => e),
    );
    const overflow = await pool.query('INSERT INTO writes VALUES (200)').catch((e: unknown) => e);
    expect(overflow).toMatchObject({ code: 'NO_PRIMARY', reason: 'queue-full' });
    for (const error of await Promise.all(waiting)) {
      expect(error).toBeInstanceOf(NoPrimaryError);
      expect((error as NoPrimaryError).reason).toBe('timeout');
      expect((error as Error).message).toContain('failover.waitForPrimaryMs');
    }
    console.log(`[${source}] all nodes down: gave up after ${Math.round(performance.now() - started)} ms`);

    for (const node of ['node1', 'node2', 'node3']) await cluster.start(node);
    await expect(pool.query('INSERT INTO writes VALUES (300)')).resolves.toBeDefined();
    expect(pool.topology().primary).toBe(address(cluster, 'node1'));
    while (!pool.topology().nodes.every((n) => n.healthy)) await sleep(50); // the test times out if never
  });

  it('fails at once with the server error on a wrong password, not after the failover wait', async () => {
    const cluster = await start({ replicas: 1 });
    // A ten-minute wait: if the pool waited for a primary instead of failing, the test would time out.
    pool = createPgPool({
      ...cluster.connectionOptions,
      password: 'wrong',
      failover: { waitForPrimaryMs: 600_000 },
    });
    const error = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '28P01' });
    expect(JSON.stringify(pool.topology())).not.toContain('wrong');
  });

  it('refuses a node from another cluster with a clear error and never writes to it', async () => {
    const cluster = await start({ replicas: 1 });
    const foreign = await start({ replicas: 0 });
    const foreignAddress = address(foreign, 'node1');
    // Provisioned alike, as clusters of one company are: the same app role and password.
    const { password } = cluster.connectionOptions;
    await foreign.query('node1', `ALTER ROLE app PASSWORD '${password}'`);
    pool = createPgPool({
      ...cluster.connectionOptions,
      hosts: [foreignAddress, ...cluster.connectionOptions.hosts],
    });
    const mismatches: ClusterMismatchError[] = [];
    pool.on('clusterMismatch', (e) => mismatches.push(e.error));
    // Two nodes of the real cluster against one foreign: the majority decides which cluster is ours.
    for (let id = 1; id <= 20; id++) await pool.query('INSERT INTO writes VALUES ($1)', [id]);
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]).toBeInstanceOf(ClusterMismatchError);
    expect(mismatches[0]?.message).toContain(foreignAddress);
    expect(mismatches[0]?.message).toContain('hosts');
    const node = pool.topology().nodes.find((n) => n.name === foreignAddress);
    expect(node?.excluded).toBe('cluster-mismatch');
    expect(await foreign.query('node1', 'SELECT id FROM writes', [], { database: 'app' })).toEqual([]);
    expect(await appQuery(cluster, 'node1', 'SELECT count(*)::int AS n FROM writes')).toEqual([{ n: 20 }]);
  });

  it('survives a dying node with idle and checked-out clients and no error listeners at all', async () => {
    const cluster = await start();
    pool = createPgPool({ ...cluster.connectionOptions, max: 6 });
    const held = await Promise.all([pool.connect(), pool.connect()]);
    await Promise.all([1, 2, 3, 4].map((i) => pool!.query('SELECT pg_sleep(0.05), $1::int', [i])));
    expect(pool.idleCount).toBeGreaterThan(0);
    cluster.kill('node1', 'SIGKILL'); // idle and held clients all lose their server
    await sleep(500);
    for (const client of held) client.release();
    // The setup file fails this test if anything threw or rejected unhandled meanwhile.
    await cluster.promote('node2');
    await expect(pool.query('INSERT INTO writes VALUES (1)')).resolves.toBeDefined();
  });
});

describe('pg pool with a bad configuration', () => {
  it('names the option at fault', () => {
    expect(() => createPgPool({ hosts: [] })).toThrow(/`hosts`: no hosts given/);
    expect(() => createPgPool({ hosts: ['db:99999'] })).toThrow(/`hosts\[0\]`: bad port/);
    expect(() => createPgPool({ hosts: ['db'], monitor: { timeoutMs: -1 } })).toThrow(/monitor\.timeoutMs/);
    // @ts-expect-error: a typo users make
    expect(() => createPgPool({ hosts: ['db'], failover: { waitForPrimary: 5 } })).toThrow(
      /Did you mean `failover.waitForPrimaryMs`/,
    );
  });
});
