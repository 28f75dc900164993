import { describe, expect, it } from 'vitest';
import type { FailoverMysqlPromisePool } from '../../src/drivers/mysql2';
import type { FailoverPgPool } from '../../src/drivers/pg';
import type { TestCluster } from '../../src/testing';
import { type AppPool, address } from './support/engine-fixture';
import { failOverAfter } from './support/fail-over';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { sleep } from './support/wait';
import { outageAround, startWrites } from './support/write-workload';

/**
 * Exactly-once autocommit writes (`failover.exactlyOnce`, docs/transactions.md) through the
 * failover scenarios of failover.test.ts, where plain writes may end in WriteOutcomeUnknownError:
 * with every insert exactly once the app sees no error at all, and every acknowledged id is on the
 * new primary exactly once.
 */

const STATEMENT_TIMEOUT_MS = 20_000;

describe.each(oneFixturePerEngine())('exactly-once writes through a failover on %s', (_name, fixture) => {
  const started = endedAfterEach();

  async function startWithPool(replication: 'async' | 'sync') {
    const cluster = started.cluster(await fixture.start({ replication, writesTable: true }));
    const pool = started.pool(
      fixture.pool(cluster, { statementTimeoutMs: STATEMENT_TIMEOUT_MS, failover: { exactlyOnce: true } }),
    );
    const resolvedByLookup: string[] = [];
    pool.on('transactionRetry', (e) => resolvedByLookup.push(e.reason));
    const writes = startWrites({ query: (text, values) => pool.query(fixture.sql(text), values) });
    await sleep(500);
    return { cluster, pool, writes, resolvedByLookup };
  }

  const failOver = failOverAfter;

  async function finish(
    scenario: string,
    cluster: TestCluster,
    run: Awaited<ReturnType<typeof startWithPool>>,
    next: string,
    faultAt: number,
    writableAt?: number,
  ) {
    await sleep(500);
    await run.writes.stop();
    const result = run.writes.history.check(await fixture.idsOn(cluster, next));
    console.log(
      `[${fixture.name}] exactly-once, ${scenario}: ${JSON.stringify({
        ...outageAround(run.writes.history, faultAt, writableAt),
        errors: Object.fromEntries(run.writes.errors),
        reRunsAfterFailure: run.resolvedByLookup.length,
        ...result.counts,
      })}`,
    );
    expect(Object.fromEntries(run.writes.errors)).toEqual({});
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.counts.ok).toBeGreaterThan(50);
    expect(run.pool.topology().primary).toBe(address(cluster, next));
  }

  it('planned switchover: no error, nothing lost or doubled', async () => {
    const run = await startWithPool('async');
    const faultAt = performance.now();
    await run.cluster.switchover('node2');
    await finish('switchover', run.cluster, run, 'node2', faultAt);
  });

  it('kill -9, promotion 500 ms later (synchronous): no error, nothing lost or doubled', async () => {
    const run = await startWithPool('sync');
    const faultAt = performance.now();
    run.cluster.kill('node1', 'SIGKILL');
    const { next, writableAt } = await failOver(run.cluster, 500);
    await finish('kill -9', run.cluster, run, next, faultAt, writableAt);
  });

  it('SIGSTOP, promotion after 2 s, then SIGCONT (synchronous): no error, nothing lost or doubled', async () => {
    const run = await startWithPool('sync');
    const faultAt = performance.now();
    run.cluster.kill('node1', 'SIGSTOP');
    const { next, writableAt } = await failOver(run.cluster, 2_000);
    run.cluster.kill('node1', 'SIGCONT');
    await finish('SIGSTOP', run.cluster, run, next, faultAt, writableAt);
  });

  /**
   * One INSERT, the connection cut by the proxy right after the statement that commits it reached
   * the server (committed, the answer lost): with the statement's own flag that is its COMMIT, and
   * the result comes back from the key, marked resolved; without, the autocommit INSERT itself.
   */
  async function insertThroughCut(cluster: TestCluster, pool: AppPool, id: number, exactlyOnce: boolean) {
    const commits = exactlyOnce ? 'COMMIT' : 'INSERT INTO writes';
    const cut = cluster.proxy('node1').cutOn(commits, { when: 'after', times: 1 });
    try {
      if (fixture.engine === 'postgresql') {
        const raw = pool.raw as FailoverPgPool;
        return await raw.query({
          text: 'INSERT INTO writes VALUES ($1) RETURNING id',
          values: [id],
          exactlyOnce,
        });
      }
      const raw = pool.raw as FailoverMysqlPromisePool;
      const options = { sql: 'INSERT INTO writes VALUES (?)', values: [id], exactlyOnce };
      // `execute` with the flag (its statements run inside the transaction); `query` without, so that
      // the cut follows the INSERT's text itself, not a PREPARE sent ahead of it.
      const [result] = exactlyOnce ? await raw.execute(options) : await raw.query(options);
      return result;
    } finally {
      await cut.off();
    }
  }

  it('the statement flag: a COMMIT cut after it reached the server is resolved from the key, once; without the flag, the outcome is unknown', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true, proxies: true }));
    const pool = started.pool(fixture.pool(cluster));
    await pool.query('SELECT 1');
    const resolved = await insertThroughCut(cluster, pool, 1, true);
    if (fixture.engine === 'postgresql') {
      expect(resolved).toMatchObject({ command: 'INSERT', rowCount: 1, rows: [{ id: '1' }], resolved: true });
    } else {
      expect(resolved).toMatchObject({ affectedRows: 1, resolved: true });
    }
    const plain = await insertThroughCut(cluster, pool, 2, false).catch((error: unknown) => error);
    expect((plain as { code?: string }).code).toBe('WRITE_OUTCOME_UNKNOWN');
    // Both committed, each once: the first said so, the second could not.
    expect((await fixture.idsOn(cluster, 'node1')).sort()).toEqual(['1', '2']);
  });
});
