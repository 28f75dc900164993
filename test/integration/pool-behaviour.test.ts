import { describe, expect, it } from 'vitest';
import { FailoverPoolError, NodeUnavailableError, NoPrimaryError } from '../../src/index';
import type { TestCluster } from '../../src/testing';
import {
  type AppPoolOptions,
  address,
  type EngineFixture,
  type FixtureClusterOptions,
} from './support/engine-fixture';
import { engineFixtures } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually, sleep } from './support/wait';

/**
 * The pool's behaviour around a failover beyond the steady write stream, on every engine: pinned
 * sessions, every node down, a wrong password, a dying node. What only one engine has is in
 * pg-pool-behaviour.test.ts and mariadb-pool-behaviour.test.ts.
 */
describe.each(engineFixtures())('pool on %s', (_name, fixture: EngineFixture) => {
  const started = endedAfterEach();

  const start = async (options: FixtureClusterOptions = {}) =>
    started.cluster(await fixture.start({ writesTable: true, ...options }));
  const poolOn = (cluster: TestCluster, options?: AppPoolOptions) =>
    started.pool(fixture.pool(cluster, options));

  it("runs a checked-out connection's first BEGIN again when its connection is cut after sending it: BEGIN applies nothing", async () => {
    const cluster = await start({ proxies: true });
    const pool = poolOn(cluster);
    const session = await pool.session();
    const cut = cluster.proxy('node1').cutOn(/^BEGIN/i, { when: 'after', times: 1 });
    await session.query('BEGIN'); // as TypeORM and Knex open a transaction on a client they took
    await session.query('INSERT INTO writes VALUES (21)');
    await session.query('COMMIT');
    session.release();
    expect(cut.cuts).toBe(1);
    expect(await fixture.idsOn(cluster, 'node1')).toEqual(['21']);
  });

  it('pins a session to its node: after a failover its next statement fails, it is destroyed, and a new one works', async () => {
    const cluster = await start();
    const pool = poolOn(cluster, { maxConnections: 4 });
    const session = await pool.session(); // no error listener, as in most apps
    await session.query('INSERT INTO writes VALUES (1)');

    cluster.kill('node1', 'SIGKILL');
    await sleep(300);
    await cluster.promote('node2');

    const error = await session.query('INSERT INTO writes VALUES (2)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    expect(error).toMatchObject({
      code: 'NODE_UNAVAILABLE',
      host: '127.0.0.1',
      port: cluster.node('node1').port,
    });
    session.release();
    if (pool.idleCount) expect(pool.idleCount()).toBe(0); // destroyed, not returned to a pool

    const fresh = await pool.session();
    expect(await fresh.serverPort()).toBe(cluster.node('node2').port);
    await fresh.query('INSERT INTO writes VALUES (2)');
    fresh.release();
    if (pool.idleCount) expect(pool.idleCount()).toBe(1);
    expect(await fixture.idsOn(cluster, 'node2')).toContain('2');
  });

  it('moves a session whose only statement was BEGIN to the new primary when a switchover lands before its first write', async () => {
    const cluster = await start();
    const pool = poolOn(cluster);
    const session = await pool.session();
    await session.begin(); // as ORMs open a transaction on a connection they just took
    await cluster.switchover('node2');
    // PostgreSQL: the shutdown closed the connection. MariaDB: node1 is read-only and refuses the
    // INSERT. Either way nothing ran: BEGIN runs again on node2, then the INSERT.
    await session.query('INSERT INTO writes VALUES (30)');
    await session.commit();
    expect(await session.serverPort()).toBe(cluster.node('node2').port);
    session.release();
    expect(await fixture.idsOn(cluster, 'node2')).toEqual(['30']);
  });

  it('fails a pinned transaction whose COMMIT is caught by a switchover with a FailoverPoolError, and commits nothing of it', async () => {
    const cluster = await start();
    const pool = poolOn(cluster);
    const session = await pool.session();
    await session.begin();
    await session.query('INSERT INTO writes VALUES (10)');
    await cluster.switchover('node2');
    await sleep(300);
    // PostgreSQL: the shutdown closed the connection before COMMIT left. MariaDB: the pool has seen
    // node2 take over, and the pinned session refuses to go on on node1. Certainly not committed.
    const error = await session.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    await session.rollback().catch(() => undefined);
    session.release();
    expect(await fixture.idsOn(cluster, 'node2')).toEqual([]);
    // The pool itself carries on on the new primary.
    await pool.query('INSERT INTO writes VALUES (11)');
    expect(pool.topology().primary).toBe(address(cluster, 'node2'));
  });

  it('refuses statements on a used session pinned to a primary that hung and was replaced; moves an unused one', async () => {
    const cluster = await start();
    const pool = poolOn(cluster);
    const used = await pool.session();
    await used.query('SELECT 1');
    const unused = await pool.session(); // as Kysely takes one per query
    cluster.kill('node1', 'SIGSTOP');
    await sleep(1500);
    await cluster.promote('node2');
    await cluster.repoint('node3', 'node2');
    await sleep(300);
    cluster.kill('node1', 'SIGCONT');
    await sleep(1200);

    const error = await used.query('INSERT INTO writes VALUES (3)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeUnavailableError);
    used.release();

    // Nothing ran on `unused` yet, so its first statement follows the pool's rules: it runs on node2.
    await unused.query('INSERT INTO writes VALUES (4)');
    expect(await unused.serverPort()).toBe(cluster.node('node2').port);
    unused.release();
    expect(await fixture.idsOn(cluster, 'node1')).toEqual([]);
    expect(await fixture.idsOn(cluster, 'node2')).toEqual(['4']);
  });

  it('waits a bounded time when every node hangs, then recovers fully once they wake up', async () => {
    const cluster = await start();
    const target = poolOn(cluster, { failover: { waitForPrimaryMs: 1500, maxWaiting: 3 } });
    await target.query('INSERT INTO writes VALUES (1)');
    for (const node of ['node1', 'node2', 'node3']) cluster.kill(node, 'SIGSTOP');
    await eventually('the pool to see every node down', () =>
      target.topology().nodes.every((n) => !n.healthy),
    );

    const started = performance.now();
    const waiting = [1, 2, 3].map((i) =>
      target.query('INSERT INTO writes VALUES ($1)', [100 + i]).catch((e: unknown) => e),
    );
    const overflow = await target.query('INSERT INTO writes VALUES (200)').catch((e: unknown) => e);
    expect(overflow).toMatchObject({ code: 'NO_PRIMARY', reason: 'queue-full' });
    for (const error of await Promise.all(waiting)) {
      expect(error).toBeInstanceOf(NoPrimaryError);
      expect((error as NoPrimaryError).reason).toBe('timeout');
      expect((error as Error).message).toContain('failover.waitForPrimaryMs');
    }
    console.log(
      `[${fixture.name}] all nodes hung: gave up after ${Math.round(performance.now() - started)} ms`,
    );

    for (const node of ['node1', 'node2', 'node3']) cluster.kill(node, 'SIGCONT');
    await expect(target.query('INSERT INTO writes VALUES (300)')).resolves.toBeDefined();
    expect(target.topology().primary).toBe(address(cluster, 'node1'));
  });

  it("fails at once with the driver's own error when every node refuses, then recovers once they return", async () => {
    const cluster = await start();
    // A ten-minute wait: if the pool waited for a primary instead of failing, the test would time out.
    const target = poolOn(cluster, { failover: { waitForPrimaryMs: 600_000 } });
    await target.query('INSERT INTO writes VALUES (1)');
    for (const node of ['node1', 'node2', 'node3']) cluster.kill(node, 'SIGKILL');
    await eventually('the pool to see every node down', () =>
      target.topology().nodes.every((n) => !n.healthy),
    );
    const refused = await target.query('INSERT INTO writes VALUES (2)').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });

    for (const node of ['node1', 'node2', 'node3']) await cluster.start(node);
    await expect(target.query('INSERT INTO writes VALUES (300)')).resolves.toBeDefined();
    expect(target.topology().primary).toBe(address(cluster, 'node1'));
    await eventually('the pool to see every node healthy again', () =>
      target.topology().nodes.every((n) => n.healthy),
    );
    expect(target.topology().nodes.filter((n) => n.role === 'replica')).toHaveLength(2);
  });

  it('fails at once with the server error on a wrong password, not after the failover wait', async () => {
    const cluster = await start({ replicas: 1 });
    // A ten-minute wait: if the pool waited for a primary instead of failing, the test would time out.
    const pool = poolOn(cluster, { password: 'wrong', failover: { waitForPrimaryMs: 600_000 } });
    const error = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toMatchObject(fixture.accessDenied);
    expect(fixture.shownByPool(pool)).not.toContain('wrong');
  });

  it('survives a dying node with idle, checked-out and busy sessions and no error listeners at all', async () => {
    const cluster = await start();
    const target = poolOn(cluster, { maxConnections: 6 });
    const held = await Promise.all([target.session(), target.session()]);
    await Promise.all([1, 2, 3, 4].map(() => target.query(fixture.sleepSql(0.05))));
    if (target.idleCount) expect(target.idleCount()).toBeGreaterThan(0);
    const inFlight = held[0]!.query(fixture.sleepSql(5)).catch((e: unknown) => e);
    await sleep(100);
    cluster.kill('node1', 'SIGKILL'); // idle, held and busy sessions all lose their server
    expect(await inFlight).toBeInstanceOf(FailoverPoolError);
    await sleep(500);
    for (const session of held) session.release();
    // The setup file fails this test if anything threw or rejected unhandled meanwhile.
    await cluster.promote('node2');
    await expect(target.query('INSERT INTO writes VALUES (1)')).resolves.toBeDefined();
    expect(await fixture.idsOn(cluster, 'node2')).toEqual(['1']);
  });
});
