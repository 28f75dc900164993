import { describe, expect, it } from 'vitest';
import type { TestCluster } from '../../src/testing';
import { type AppPool, address, type EngineFixture } from './support/engine-fixture';
import { failOverAfter } from './support/fail-over';
import { engineFixtures } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { sleep } from './support/wait';
import { outageAround, startWrites } from './support/write-workload';

/**
 * The failover scenarios of the pool on real clusters of every engine: a steady stream of unique
 * inserts runs through the pool while the primary is switched over, killed or hung; at the end
 * every acknowledged id must be on the new primary exactly once. Outages are printed, not asserted:
 * figures come from `npm run bench:failover`.
 */

/**
 * With synchronous replication (PostgreSQL) or semi-sync (MariaDB), a commit waits for a replica; a
 * test must fail, not hang, if that replica never comes: a client-side limit on every statement,
 * far above any healthy latency.
 */
const STATEMENT_TIMEOUT_MS = 20_000;

describe.each(engineFixtures())('pool failover on %s', (_name, fixture: EngineFixture) => {
  const started = endedAfterEach();

  const report = (cluster: TestCluster, scenario: string, figures: Record<string, unknown>) =>
    console.log(`[${fixture.name}, ${cluster.description}] ${scenario}: ${JSON.stringify(figures)}`);

  /** Re-runs by reason, from the pool's `retry` events. */
  function countRetries(target: AppPool): Record<string, number> {
    const counts: Record<string, number> = {};
    target.on('retry', (event) => {
      counts[event.reason] = (counts[event.reason] ?? 0) + 1;
    });
    return counts;
  }

  /** The write stream's errors other than those the scenario allows. */
  const unexpectedErrors = (errors: Map<string, number>, allowed: readonly string[]) =>
    [...errors.keys()].filter((code) => !allowed.includes(code));

  async function startWithPool(replication: 'async' | 'sync') {
    const cluster = started.cluster(await fixture.start({ replication, writesTable: true }));
    const pool = started.pool(fixture.pool(cluster, { statementTimeoutMs: STATEMENT_TIMEOUT_MS }));
    const writer = { query: (text: string, values?: unknown[]) => pool.query(text, values) };
    return { cluster, pool, writer };
  }

  const failOver = failOverAfter;

  it('planned switchover: nothing lost or doubled, and no error the engine could have avoided', async () => {
    const { cluster, pool, writer } = await startWithPool('async');
    const changes: string[] = [];
    pool.on('primaryChanged', (e) => changes.push(`${e.from}->${e.to}`));
    const retries = countRetries(pool);
    const writes = startWrites(writer);
    await sleep(500);
    const faultAt = performance.now();
    await cluster.switchover('node2');
    await sleep(500);
    await writes.stop();

    const result = writes.history.check(await fixture.idsOn(cluster, 'node2'));
    report(cluster, 'switchover', {
      ...outageAround(writes.history, faultAt),
      retries,
      errors: Object.fromEntries(writes.errors),
      ...result.counts,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.failedButApplied).toEqual([]);
    // PostgreSQL: only a statement in flight at the instant of shutdown may surface, as
    // outcome-unknown. MariaDB: read_only refuses statements before they run and closes no
    // connection, so every one of them is re-run and nothing is left unknown.
    expect(unexpectedErrors(writes.errors, fixture.switchoverErrors)).toEqual([]);
    expect(result.counts.ok).toBeGreaterThan(50);
    expect(pool.topology().primary).toBe(address(cluster, 'node2'));
    expect(changes.at(-1)).toBe(`${address(cluster, 'node1')}->${address(cluster, 'node2')}`);
  });

  it('kill -9 of the primary, promotion 500 ms later: writes resume on the new primary, none lost (synchronous)', async () => {
    const { cluster, pool, writer } = await startWithPool('sync');
    const detected: number[] = [];
    pool.on(
      'primaryChanged',
      (e) => e.detectedAfterMs !== undefined && detected.push(Math.round(e.detectedAfterMs)),
    );
    const writes = startWrites(writer);
    await sleep(500);
    const faultAt = performance.now();
    cluster.kill('node1', 'SIGKILL');
    const { next, writableAt } = await failOver(cluster, 500);
    await sleep(500);
    await writes.stop();

    const result = writes.history.check(await fixture.idsOn(cluster, next));
    report(cluster, 'kill -9', {
      ...outageAround(writes.history, faultAt, writableAt),
      detectedAfterMs: detected,
      errors: Object.fromEntries(writes.errors),
      ...result.counts,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.failedButApplied).toEqual([]);
    expect(unexpectedErrors(writes.errors, ['WRITE_OUTCOME_UNKNOWN'])).toEqual([]);
    const after = writes.history.ops().filter((op) => op.outcome === 'ok' && op.start > writableAt);
    expect(after.length).toBeGreaterThan(20);
    expect(pool.topology().primary).toBe(address(cluster, next));
  });

  it('SIGSTOP of the primary, promotion after 2 s, then SIGCONT: the old primary is never written to again (synchronous)', async () => {
    const { cluster, pool, writer } = await startWithPool('sync');
    const splitBrains: (string | null)[] = [];
    pool.on('splitBrain', (e) => splitBrains.push(e.resolvedTo));
    const writes = startWrites(writer);
    await sleep(500);
    const faultAt = performance.now();
    cluster.kill('node1', 'SIGSTOP');
    const { next, writableAt } = await failOver(cluster, 2000);
    // Back, still writable, still believing it is the primary (PostgreSQL: on timeline 1).
    cluster.kill('node1', 'SIGCONT');
    await sleep(1500);
    await writes.stop();

    const result = writes.history.check(await fixture.idsOn(cluster, next));
    report(cluster, 'SIGSTOP', {
      ...outageAround(writes.history, faultAt, writableAt),
      splitBrains,
      errors: Object.fromEntries(writes.errors),
      ...result.counts,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(unexpectedErrors(writes.errors, ['WRITE_OUTCOME_UNKNOWN'])).toEqual([]);

    // Every row on the old primary, committed or (MariaDB) still waiting for its semi-sync
    // acknowledgement, was acknowledged before the hang or in flight then (its caller got
    // WriteOutcomeUnknownError). Nothing started after the hang reached it.
    const ops = new Map(writes.history.ops().map((op) => [String(op.id), op]));
    const onOld = await fixture.idsOn(cluster, 'node1', { uncommitted: true });
    const strays = onOld.filter((id) => {
      const op = ops.get(id);
      return !op || (op.start > faultAt && op.outcome !== 'unknown') || op.start > writableAt;
    });
    expect(strays).toEqual([]);
    // The replica promoted is the one that received the most: the synchronous one, or either when
    // both received the same, so the expectations name whichever it was.
    expect(splitBrains).toContain(address(cluster, next));
    const old = pool.topology().nodes.find((n) => n.name === address(cluster, 'node1'));
    expect(old).toMatchObject({ writable: true, excluded: 'stale-primary' });
    expect(pool.topology().primary).toBe(address(cluster, next));
  });
});
