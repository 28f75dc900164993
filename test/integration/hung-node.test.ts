import { describe, expect, it } from 'vitest';
import { createMysqlPool } from '../../src/drivers/mysql2/index';
import type { TestCluster } from '../../src/testing';
import type { AppPool, AppPoolOptions, EngineFixture } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually, settled, sleep } from './support/wait';

/**
 * A node that freezes with its connections open (SIGSTOP: a stopped VM keeps its TCP connections,
 * and TCP keeps them for about 15 minutes) while nobody promotes, and no statement timeout is set:
 * every call still ends within failover.abandonAfterMs of the monitor giving the node up. A node that
 * answers its probes is never touched, and a frozen replica disturbs nothing.
 */

/** Bounds the scenarios set: the waits for a primary, and by default the time a given-up node keeps its connections. */
const WAIT_FOR_PRIMARY_MS = 3_000;
/** The monitor's defaults: a probe every 1 s, given up after 1 s without an answer. */
const DETECTION_MS = 2_000;
/** The node stays frozen well past the bound: what has not ended by then would have hung until it woke. */
const FROZEN_MS = DETECTION_MS + WAIT_FOR_PRIMARY_MS + 4_000;

interface Outcome {
  readonly what: string;
  readonly code: string;
  readonly ms: number;
}

/** Runs `call`, noting how it ended and how long it took; never rejects. */
async function timed(what: string, call: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  try {
    await call();
    return { what, code: 'ok', ms: Math.round(performance.now() - started) };
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? (error as Error).name);
    return { what, code, ms: Math.round(performance.now() - started) };
  }
}

/** The server's id of the session a statement ran on. */
function sessionIdSql(fixture: EngineFixture): string {
  return fixture.engine === 'postgresql' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id';
}

/** A write that takes `seconds` on the server: in flight for sure when the node freezes. */
function slowInsertSql(fixture: EngineFixture, seconds: number): string {
  return fixture.engine === 'postgresql'
    ? `INSERT INTO writes SELECT $1 FROM pg_sleep(${seconds})`
    : fixture.sql(`INSERT INTO writes SELECT $1 FROM (SELECT SLEEP(${seconds})) AS s`);
}

/** How many of the sessions `ids` the node still has. */
async function sessionsLeft(fixture: EngineFixture, cluster: TestCluster, node: string, ids: number[]) {
  const sql =
    fixture.engine === 'postgresql'
      ? `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid IN (${ids.join(',')})`
      : `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID IN (${ids.join(',')})`;
  const [row] = await cluster.query<{ n: number | string }>(node, sql);
  return Number(row?.n);
}

function mysqlCallbackPool(cluster: TestCluster) {
  return createMysqlPool({
    ...cluster.connectionOptions,
    failover: { waitForPrimaryMs: WAIT_FOR_PRIMARY_MS },
  });
}

describe.each(oneFixturePerEngine())('a frozen node on %s', (_name, fixture: EngineFixture) => {
  const started = endedAfterEach();

  const start = async () => started.cluster(await fixture.start({ writesTable: true }));
  const poolOn = (cluster: TestCluster, options: AppPoolOptions) =>
    started.pool(fixture.pool(cluster, options));
  const sessionIds = async (pool: AppPool, times: number) => {
    const ids = new Set<number>();
    for (let i = 0; i < times; i++) {
      const [row] = await pool.query(sessionIdSql(fixture));
      ids.add(Number(row?.id));
    }
    return ids;
  };

  it('ends every call within the bound when the primary freezes and nobody promotes; no connection to it is used again', async () => {
    const cluster = await start();
    const pool = poolOn(cluster, { maxConnections: 8, failover: { waitForPrimaryMs: WAIT_FOR_PRIMARY_MS } });
    const abandoned: string[] = [];
    pool.on('nodeAbandoned', (event) => abandoned.push(event.node));
    // Connections opened before the freeze: several at once, so the pool holds more than one.
    await Promise.all([1, 2, 3, 4].map(() => pool.query(fixture.sleepSql(0.05))));
    const before = await sessionIds(pool, 8);
    const session = await pool.session();
    await session.query('SELECT 1');
    started.ends(async () => cluster.kill('node1', 'SIGCONT')); // a failed test leaves no frozen server
    // On MariaDB, mysql2's callback pool as well (the fixture's is the promise pool).
    const callbackPool = fixture.engine === 'mariadb' ? mysqlCallbackPool(cluster) : undefined;
    if (callbackPool) started.ends(() => new Promise<void>((resolve) => callbackPool.end(() => resolve())));
    const viaCallback = (id: number) =>
      new Promise<void>((resolve, reject) =>
        callbackPool?.query(slowInsertSql(fixture, 1), [id], (error) => (error ? reject(error) : resolve())),
      );
    if (callbackPool) await viaCallback(0);

    // In flight when the node freezes: 4 writes (each takes 1 s on the server) and a pinned session's.
    const inFlight = [1, 2, 3, 4].map((id) =>
      timed('in flight', () => pool.query(slowInsertSql(fixture, 1), [id])),
    );
    const pinned = timed('pinned, in flight', () => session.query(slowInsertSql(fixture, 1), [5]));
    const callbackCalls = callbackPool ? [timed('in flight', () => viaCallback(9))] : [];
    // Before its COMMIT: run again, once a primary is found, else NoPrimaryError.
    const transaction = timed('transaction, in flight', () =>
      pool.transaction((tx) => tx.rows(slowInsertSql(fixture, 1), [10])),
    );
    await sleep(200);
    cluster.kill('node1', 'SIGSTOP');
    const frozenAt = performance.now();
    // Arriving while it is frozen: they wait for a primary.
    await sleep(500);
    const waiting = [6, 7].map((id) =>
      timed('waiting', () => pool.query('INSERT INTO writes VALUES ($1)', [id])),
    );
    const all = Promise.all([...inFlight, ...callbackCalls, pinned, transaction, ...waiting]);
    const outcomes = await settled('every call, before the node wakes', all, FROZEN_MS);
    const frozenFor = performance.now() - frozenAt;
    session.release();
    await sleep(Math.max(0, FROZEN_MS - frozenFor));
    cluster.kill('node1', 'SIGCONT');
    const wokeAt = performance.now();

    const longest = Math.max(...outcomes.map((o) => o.ms));
    console.log(
      `[${fixture.name}] frozen primary, nobody promoting: ${JSON.stringify({ longestCallMs: longest, outcomes })}`,
    );
    expect(outcomes.filter((o) => o.what === 'in flight').map((o) => o.code)).toEqual(
      Array(4 + callbackCalls.length).fill('WRITE_OUTCOME_UNKNOWN'),
    );
    expect(outcomes.find((o) => o.what === 'pinned, in flight')?.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(outcomes.find((o) => o.what === 'transaction, in flight')?.code).toBe('NO_PRIMARY');
    expect(outcomes.filter((o) => o.what === 'waiting').map((o) => o.code)).toEqual([
      'NO_PRIMARY',
      'NO_PRIMARY',
    ]);
    expect(abandoned).toEqual([`127.0.0.1:${cluster.node('node1').port}`]);

    // Writes flow again once it wakes, on connections opened after it woke.
    await eventually('a write after the node woke', () =>
      pool.query('INSERT INTO writes VALUES (8)').then(
        () => true,
        () => false,
      ),
    );
    console.log(`[${fixture.name}] first write after waking: ${Math.round(performance.now() - wokeAt)} ms`);
    const after = await sessionIds(pool, 8);
    expect([...after].filter((id) => before.has(id))).toEqual([]);
    // The server ends the sessions it held once it reads the closes that arrived while it was frozen.
    await eventually('the old sessions gone from the server', async () =>
      (await sessionsLeft(fixture, cluster, 'node1', [...before])) === 0 ? true : undefined,
    );
  });

  it('never cuts a statement on a primary that answers its probes, however long it runs', async () => {
    const cluster = await start();
    // The bound is 1 s here; the statement runs 6 times as long.
    const pool = poolOn(cluster, { failover: { waitForPrimaryMs: 1_000 } });
    const abandoned: string[] = [];
    pool.on('nodeAbandoned', (event) => abandoned.push(event.node));
    const long = await timed('long', () => pool.query(fixture.sleepSql(6)));
    expect(long.code).toBe('ok');
    expect(abandoned).toEqual([]);
  });

  it('lets writes go on while a replica is frozen, and uses it again once it wakes', async () => {
    const cluster = await start();
    const pool = poolOn(cluster, { failover: { waitForPrimaryMs: WAIT_FOR_PRIMARY_MS } });
    const abandoned: string[] = [];
    pool.on('nodeAbandoned', (event) => abandoned.push(event.node));
    await pool.query('INSERT INTO writes VALUES (0)');
    started.ends(async () => cluster.kill('node2', 'SIGCONT'));
    cluster.kill('node2', 'SIGSTOP');
    const failures: string[] = [];
    let id = 1;
    const until = performance.now() + FROZEN_MS;
    while (performance.now() < until) {
      const outcome = await timed('write', () => pool.query('INSERT INTO writes VALUES ($1)', [id++]));
      if (outcome.code !== 'ok') failures.push(outcome.code);
      await sleep(20);
    }
    cluster.kill('node2', 'SIGCONT');
    expect(failures).toEqual([]);
    expect(abandoned).toEqual([`127.0.0.1:${cluster.node('node2').port}`]);
    await eventually('node2 healthy again', () =>
      pool.topology().nodes.some((n) => n.name.endsWith(`:${cluster.node('node2').port}`) && n.healthy),
    );
    console.log(`[${fixture.name}] frozen replica: ${id - 1} writes, ${failures.length} failed`);
  });
});
