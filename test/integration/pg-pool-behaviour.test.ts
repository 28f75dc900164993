import { describe, expect, it } from 'vitest';
import { createPgPool } from '../../src/drivers/pg';
import { ClusterMismatchError, WriteOutcomeUnknownError } from '../../src/index';
import type { PgCluster } from '../../src/testing';
import { address, type FixtureClusterOptions } from './support/engine-fixture';
import { pgFixtures } from './support/pg-fixture';
import { endedAfterEach } from './support/resources';
import { sleep } from './support/wait';

/**
 * What only the pg pool is asked around a failover (pool-behaviour.test.ts has what every engine is
 * asked): synchronous replication at shutdown, connects and queues caught by a hung primary, a node
 * of another cluster.
 */
describe.each(pgFixtures().map((fixture) => [fixture.name, fixture] as const))(
  'pg pool on %s',
  (_name, fixture) => {
    const started = endedAfterEach();

    const start = async (options: FixtureClusterOptions = {}) =>
      started.cluster(await fixture.start({ writesTable: true, ...options }));

    /** Whether `id` is in `writes` on `node`. */
    const holds = async (cluster: PgCluster, node: string, id: number) =>
      (await fixture.idsOn(cluster, node)).includes(String(id));

    it("moves a client's first statement to a fresh connection although the app added listeners (as TypeORM does), and the listeners with it", async () => {
      const cluster = await start({ proxies: true, replicas: 1 });
      const pool = started.pool(createPgPool({ ...cluster.connectionOptions }));
      const client = await pool.connect();
      const errors: unknown[] = [];
      const onError = (error: unknown) => errors.push(error);
      client.on('error', onError);
      const ours = client.listenerCount('error');
      const cut = cluster.proxy('node1').cutOn(/^BEGIN/i, { when: 'after', times: 1 });
      await client.query('BEGIN');
      await client.query('INSERT INTO writes VALUES (31)');
      await client.query('COMMIT');
      expect(cut.cuts).toBe(1);
      // On the connection the session moved to: the app's listener came along, and only once.
      expect(client.listeners('error')).toContain(onError);
      expect(client.listenerCount('error')).toBe(ours);
      client.removeListener('error', onError);
      expect(client.listeners('error')).not.toContain(onError);
      client.release();
      expect(await holds(cluster, 'node1', 31)).toBe(true);
    });

    it('reports a commit that waited for its synchronous standby at shutdown as outcome-unknown, not re-run', async () => {
      const cluster = await start({ replication: 'sync' });
      const pool = started.pool(
        createPgPool({ ...cluster.connectionOptions, failover: { waitForPrimaryMs: 3000 } }),
      );
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
      expect(await holds(cluster, 'node1', 2)).toBe(true);
    });

    it('never lets a connect that was under way to a hung primary write there once it wakes up', async () => {
      const cluster = await start({ replicas: 1 });
      const pool = started.pool(createPgPool({ ...cluster.connectionOptions, max: 2 }));
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
      expect(await holds(cluster, 'node2', 2)).toBe(true);
      await sleep(500);
      expect(await holds(cluster, 'node1', 2)).toBe(false);
    });

    it('moves callers queued for a client of a retired primary to the new one', async () => {
      const cluster = await start({ replicas: 1 });
      const pool = started.pool(createPgPool({ ...cluster.connectionOptions, max: 1 }));
      await pool.query('INSERT INTO writes VALUES (0)');
      cluster.kill('node1', 'SIGSTOP');
      const holder = pool.query('INSERT INTO writes VALUES (1)').catch((e: unknown) => e); // takes the only client
      await sleep(50);
      const queued = pool.query('INSERT INTO writes VALUES (2)'); // waits in node1's pg.Pool for a client
      await sleep(1500);
      await cluster.promote('node2');
      expect(await holder).toBeInstanceOf(WriteOutcomeUnknownError);
      await queued; // the test times out if it waits forever
      expect(await holds(cluster, 'node2', 2)).toBe(true);
      cluster.kill('node1', 'SIGCONT');
    });

    it('refuses a node from another cluster with a clear error and never writes to it', async () => {
      const cluster = await start({ replicas: 1 });
      const foreign = await start({ replicas: 0 });
      const foreignAddress = address(foreign, 'node1');
      // Provisioned alike, as clusters of one company are: the same app role and password.
      const { password } = cluster.connectionOptions;
      await foreign.query('node1', `ALTER ROLE app PASSWORD '${password}'`);
      const pool = started.pool(
        createPgPool({
          ...cluster.connectionOptions,
          hosts: [foreignAddress, ...cluster.connectionOptions.hosts],
        }),
      );
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
      expect(await fixture.idsOn(foreign, 'node1')).toEqual([]);
      expect(await fixture.idsOn(cluster, 'node1')).toHaveLength(20);
    });
  },
);

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
