import mysql from 'mysql2';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect, Row, RunSql } from '../../src/core/dialect';
import { takeMajority } from '../../src/core/promotion/agreement';
import { mysqlDialect } from '../../src/dialects/mysql/dialect';
import { postgresDialect } from '../../src/dialects/postgres/dialect';
import {
  harness,
  type MariadbCluster,
  type PgCluster,
  startMariadbCluster,
  startPgCluster,
} from '../../src/testing';
import { skipOrFail } from './support/required-servers';

/**
 * The node operations promotion and causal reads build on (Dialect.operations), run on real
 * clusters by an account with only the privileges docs/postgres.md and docs/mysql.md list: advisory
 * locks on a replica, positions, promoting a replica after the primary is killed, repointing the
 * other replica to it, and fencing the old primary when it comes back. Each step is also repeated,
 * to show that repeating it is harmless.
 */

interface Account {
  readonly user: string;
  readonly password: string;
}

/** A session that stays open (locks belong to their session), with the dialect's RunSql over it. */
interface Session {
  readonly run: RunSql;
  close(): Promise<void>;
}

interface EngineKit {
  readonly name: string;
  readonly dialect: Dialect;
  /** A far-away position no node has reached. */
  readonly unreachedPosition: string;
  available(): boolean;
  start(): Promise<Cluster>;
}

/** What the test needs of a cluster, whatever its engine. */
interface Cluster {
  /** Opens a session as the least-privileged admin account on a node. */
  admin(node: string): Promise<Session>;
  /** Writes a row as the app (its own account), on a node, over a fresh connection. */
  appInsert(node: string, id: number): Promise<void>;
  appCount(node: string): Promise<number>;
  port(node: string): number;
  kill(node: string): void;
  start(node: string): Promise<void>;
  /** Resolves once `replica` receives from `primary`. */
  waitFollowing(replica: string, primary: string): Promise<void>;
  destroy(): Promise<void>;
}

const postgres: EngineKit = {
  name: 'PostgreSQL',
  dialect: postgresDialect,
  unreachedPosition: 'FF/0',
  available: () => available('PostgreSQL', () => harness.findPgBinaries({ source: 'system' })),
  async start() {
    const cluster = await startPgCluster({ source: 'system' });
    try {
      const app = cluster.connectionOptions;
      await pgSession(cluster, 'node1', app.user, app.password, app.database, (run) =>
        run('CREATE TABLE items (id int PRIMARY KEY)'),
      );
      // Roles are replicated with everything else; it resolves once the replicas have both.
      return pgCluster(cluster, await cluster.createPromotionAccount());
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  },
};

function pgCluster(cluster: PgCluster, account: Account): Cluster {
  const app = cluster.connectionOptions;
  return {
    async admin(node) {
      // The account may run pg_promote and pg_reload_conf in the app's database.
      const client = new pg.Client({
        ...pgAddress(cluster, node),
        database: app.database,
        user: account.user,
        password: account.password,
      });
      client.on('error', () => undefined);
      await client.connect();
      return {
        run: async (sql, values) => (await client.query(sql, values as unknown[] | undefined)).rows,
        close: () => client.end(),
      };
    },
    appInsert: (node, id) =>
      pgSession(cluster, node, app.user, app.password, app.database, async (run) => {
        await run('INSERT INTO items VALUES ($1)', [id]);
      }),
    appCount: (node) =>
      pgSession(cluster, node, app.user, app.password, app.database, async (run) => {
        const [row] = await run('SELECT count(*)::int AS n FROM items');
        return Number(row?.n);
      }),
    port: (node) => cluster.node(node).port,
    kill: (node) => cluster.kill(node, 'SIGKILL'),
    start: (node) => cluster.start(node),
    waitFollowing: (replica, primary) => cluster.waitForStreaming(replica, 30_000, primary),
    destroy: () => cluster.destroy(),
  };
}

function pgAddress(cluster: PgCluster, node: string) {
  return {
    host: '127.0.0.1',
    port: cluster.node(node).port,
    database: 'postgres',
    connectionTimeoutMillis: 5000,
  };
}

async function pgSession<T>(
  cluster: PgCluster,
  node: string,
  user: string,
  password: string,
  database: string,
  work: (run: RunSql) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ ...pgAddress(cluster, node), user, password, database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(async (sql, values) => (await client.query(sql, values as unknown[] | undefined)).rows);
  } finally {
    await client.end();
  }
}

const mariadb: EngineKit = {
  name: 'MariaDB',
  dialect: mysqlDialect,
  unreachedPosition: '0-1-999999999',
  available: () => available('MariaDB', () => harness.findMariadbBinaries()),
  async start() {
    const cluster = await startMariadbCluster();
    try {
      await cluster.query(
        'node1',
        `CREATE TABLE ${cluster.connectionOptions.database}.items (id int PRIMARY KEY)`,
      );
      return mariadbCluster(cluster, await cluster.createPromotionAccount());
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  },
};

function mariadbCluster(cluster: MariadbCluster, account: Account): Cluster {
  const app = cluster.connectionOptions;
  const session = async (
    node: string,
    user: string,
    password: string,
    database?: string,
  ): Promise<Session> => {
    const connection = mysql.createConnection({
      host: '127.0.0.1',
      port: cluster.node(node).port,
      user,
      password,
      database,
      connectTimeout: 5000,
    });
    connection.on('error', () => undefined);
    const run: RunSql = (sql, values) =>
      new Promise((resolve, reject) =>
        connection.query(sql, values as unknown[] | undefined, (error, rows) =>
          error ? reject(error) : resolve(Array.isArray(rows) ? (rows as Row[]) : []),
        ),
      );
    return { run, close: () => new Promise((resolve) => connection.end(() => resolve())) };
  };
  const asApp = async <T>(node: string, work: (run: RunSql) => Promise<T>): Promise<T> => {
    const s = await session(node, app.user, app.password, app.database);
    try {
      return await work(s.run);
    } finally {
      await s.close();
    }
  };
  return {
    admin: (node) => session(node, account.user, account.password),
    appInsert: (node, id) =>
      asApp(node, (run) => run('INSERT INTO items VALUES (?)', [id]).then(() => undefined)),
    appCount: (node) =>
      asApp(node, async (run) => Number((await run('SELECT COUNT(*) AS n FROM items'))[0]?.n)),
    port: (node) => cluster.node(node).port,
    kill: (node) => cluster.kill(node, 'SIGKILL'),
    start: (node) => cluster.start(node),
    waitFollowing: (replica, primary) => cluster.waitForReplicating(replica, 30_000, primary),
    destroy: () => cluster.destroy(),
  };
}

function available(what: string, find: () => unknown): boolean {
  try {
    find();
    return true;
  } catch (error) {
    skipOrFail(what, (error as Error).message);
    return false;
  }
}

describe.each([postgres, mariadb].filter((kit) => kit.available()))('node operations on $name', (kit) => {
  const ops = kit.dialect.operations;
  let cluster: Cluster;
  const sessions: Session[] = [];
  const admin = async (node: string) => {
    const session = await cluster.admin(node);
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    cluster = await kit.start();
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await cluster?.destroy();
  });

  it('takes an advisory lock on a replica for one session at a time, and frees it on unlock', async () => {
    const [a, b] = [await admin('node2'), await admin('node2')];
    expect(await ops.tryLock(a.run, 'failover-pool promoter')).toBe(true);
    expect(await ops.tryLock(b.run, 'failover-pool promoter')).toBe(false);
    // Another name is another lock.
    expect(await ops.tryLock(b.run, 'something else')).toBe(true);
    await ops.unlock(a.run, 'failover-pool promoter');
    expect(await ops.tryLock(b.run, 'failover-pool promoter')).toBe(true);
  });

  it("gives the promoter's locks to at most one of several contenders, whichever nodes they reach", async () => {
    const nodes = ['node1', 'node2', 'node3'];
    const contender = async () =>
      Promise.all(nodes.map(async (node) => ({ node, run: (await admin(node)).run })));
    const contenders = [await contender(), await contender(), await contender()];
    let won = 0;
    for (let round = 0; round < 10; round++) {
      const tries = await Promise.all(
        contenders.map((c) => takeMajority(c, nodes.length, ops, 'promoter race')),
      );
      const winners = tries.filter((t) => t.agreed);
      expect(winners.length).toBeLessThanOrEqual(1);
      won += winners.length;
      // A loser gave its locks back at once; the winner holds a majority of all three nodes.
      for (const t of tries) if (!t.agreed) expect(t.held).toEqual([]);
      for (const t of winners) expect(t.held.length).toBeGreaterThanOrEqual(2);
      await Promise.all(tries.map((t) => t.release()));
    }
    // Alone, a contender always wins, also with one node out of reach (two of three is a majority)...
    const alone = await takeMajority((contenders[0] ?? []).slice(1), nodes.length, ops, 'promoter race');
    expect(alone.agreed).toBe(true);
    // ...and never with one node of three.
    const others = await takeMajority((contenders[1] ?? []).slice(0, 1), nodes.length, ops, 'promoter race');
    expect(others.agreed).toBe(false);
    await alone.release();
    // Three contenders may split the three locks one each (nobody wins, all retry later); in ten
    // rounds of a real race one of them won at least once.
    expect(won).toBeGreaterThan(0);
  });

  it("reads the primary's position and waits on a replica until it has applied it", async () => {
    await cluster.appInsert('node1', 1);
    const primary = await admin('node1');
    const position = await ops.currentPosition(primary.run);
    const replica = await admin('node3');
    expect(await ops.waitForPosition(replica.run, position, 10_000)).toBe(true);
    // Caught up, the replica holds what the primary held; the dialect compares the two.
    const applied = await ops.currentPosition(replica.run);
    expect(kit.dialect.comparePositions(applied, position)).toBe(0);
    expect(kit.dialect.comparePositions(kit.unreachedPosition, applied)).toBe(1);
    expect(await cluster.appCount('node3')).toBe(1);
    expect(await ops.waitForPosition(replica.run, kit.unreachedPosition, 200)).toBe(false);
  });

  it('promotes a replica, repoints the other to it, and fences the old primary when it returns', async () => {
    cluster.kill('node1');
    const node2 = await admin('node2');
    await ops.promote(node2.run, { timeoutMs: 30_000 });
    await cluster.appInsert('node2', 2);
    // Again: a promoted node is left as it is.
    await ops.promote(node2.run, { timeoutMs: 30_000 });

    const source = { host: '127.0.0.1', port: cluster.port('node2') };
    const node3 = await admin('node3');
    await ops.repoint(node3.run, source);
    await cluster.waitFollowing('node3', 'node2');
    await ops.repoint(node3.run, source);
    await cluster.waitFollowing('node3', 'node2');
    expect(await ops.waitForPosition(node3.run, await ops.currentPosition(node2.run), 10_000)).toBe(true);
    expect(await cluster.appCount('node3')).toBe(2);
    await expect(ops.repoint(node2.run, source)).rejects.toThrow(/replica|standby/);

    // The old primary comes back writable, on its old history.
    await cluster.start('node1');
    await cluster.appInsert('node1', 100);
    const node1 = await admin('node1');
    await ops.fence(node1.run);
    await ops.fence(node1.run);
    const refused = await cluster.appInsert('node1', 101).catch((error: unknown) => error);
    expect(
      kit.dialect.classifyError(refused, {
        phase: 'statement',
        sent: true,
        notices: [],
        multiStatement: false,
      }),
    ).toBe('read-only');
  });
});
