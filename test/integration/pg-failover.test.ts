import { afterEach, describe, expect, it } from 'vitest';
import { createPgPool, type FailoverPgPool } from '../../src/drivers/pg';
import type { PgCluster } from '../../src/testing';
import {
  address,
  clusterWithTable,
  idsOn,
  pgSources,
  promoteMostAdvanced,
  sleep,
} from './support/pg-cluster';
import { outageAround, startWrites } from './support/write-workload';

/**
 * The failover scenarios of the pg pool, on real clusters: a steady stream of unique inserts runs
 * through the pool while the primary is switched over, killed or hung; at the end every
 * acknowledged id must be on the new primary exactly once. Outages are printed, not asserted:
 * figures come from `npm run bench:failover`.
 */
/**
 * With synchronous replication, a commit waits for a standby; a test must fail, not hang, if that
 * standby never comes: a client-side limit on every query, far above any healthy latency.
 */
const QUERY_TIMEOUT_MS = 20_000;

describe.each(pgSources())('pg pool failover on PostgreSQL (%s)', (source) => {
  let cluster: PgCluster | undefined;
  let pool: FailoverPgPool | undefined;

  afterEach(async () => {
    await pool?.end();
    await cluster?.destroy();
    pool = undefined;
    cluster = undefined;
  });

  const report = (scenario: string, figures: Record<string, unknown>) =>
    console.log(`[${source} PG${cluster?.serverVersion}] ${scenario}: ${JSON.stringify(figures)}`);

  it('planned switchover: no error reaches the caller and nothing is lost', async () => {
    cluster = await clusterWithTable({ source });
    pool = createPgPool({ ...cluster.connectionOptions, query_timeout: QUERY_TIMEOUT_MS });
    const changes: string[] = [];
    pool.on('primaryChanged', (e) => changes.push(`${e.from}->${e.to}`));
    const writes = startWrites(pool);
    await sleep(500);
    const faultAt = performance.now();
    await cluster.switchover('node2');
    await sleep(500);
    await writes.stop();

    const result = writes.history.check(await idsOn(cluster, 'node2'));
    report('switchover', {
      ...outageAround(writes.history, faultAt),
      errors: Object.fromEntries(writes.errors),
      ...result.counts,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.failedButApplied).toEqual([]);
    // Only a statement in flight at the instant of shutdown may surface, and only as outcome-unknown.
    expect([...writes.errors.keys()].filter((code) => code !== 'WRITE_OUTCOME_UNKNOWN')).toEqual([]);
    expect(result.counts.ok).toBeGreaterThan(50);
    expect(pool.topology().primary).toBe(address(cluster, 'node2'));
    expect(changes.at(-1)).toBe(`${address(cluster, 'node1')}->${address(cluster, 'node2')}`);
  });

  it('kill -9 of the primary, promotion 500 ms later: writes resume on the new primary, none lost (synchronous)', async () => {
    cluster = await clusterWithTable({ source, synchronous: true });
    pool = createPgPool({ ...cluster.connectionOptions, query_timeout: QUERY_TIMEOUT_MS });
    const detected: number[] = [];
    pool.on(
      'primaryChanged',
      (e) => e.detectedAfterMs !== undefined && detected.push(Math.round(e.detectedAfterMs)),
    );
    const writes = startWrites(pool);
    await sleep(500);
    const faultAt = performance.now();
    cluster.kill('node1', 'SIGKILL');
    await sleep(500);
    const [next, other] = await promoteMostAdvanced(cluster);
    const writableAt = performance.now();
    await cluster.waitForStreaming(other, 15_000);
    await sleep(500);
    await writes.stop();

    const result = writes.history.check(await idsOn(cluster, next));
    report('kill -9', {
      ...outageAround(writes.history, faultAt, writableAt),
      detectedAfterMs: detected,
      errors: Object.fromEntries(writes.errors),
      ...result.counts,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.failedButApplied).toEqual([]);
    expect([...writes.errors.keys()].filter((code) => code !== 'WRITE_OUTCOME_UNKNOWN')).toEqual([]);
    const after = writes.history.ops().filter((op) => op.outcome === 'ok' && op.start > writableAt);
    expect(after.length).toBeGreaterThan(20);
    expect(pool.topology().primary).toBe(address(cluster, next));
  });

  it('SIGSTOP of the primary, promotion after 2 s, then SIGCONT: the old primary is never written to again', async () => {
    cluster = await clusterWithTable({ source, synchronous: true });
    pool = createPgPool({ ...cluster.connectionOptions, query_timeout: QUERY_TIMEOUT_MS });
    const splitBrains: (string | null)[] = [];
    pool.on('splitBrain', (e) => splitBrains.push(e.resolvedTo));
    const writes = startWrites(pool);
    await sleep(500);
    const faultAt = performance.now();
    cluster.kill('node1', 'SIGSTOP');
    await sleep(2000);
    const [next, other] = await promoteMostAdvanced(cluster);
    const writableAt = performance.now();
    await cluster.waitForStreaming(other, 15_000);
    cluster.kill('node1', 'SIGCONT'); // back, still believing it is the primary (timeline 1)
    await sleep(1500);
    await writes.stop();

    const onNew = await idsOn(cluster, next);
    const result = writes.history.check(onNew);
    report('SIGSTOP', {
      ...outageAround(writes.history, faultAt, writableAt),
      splitBrains,
      errors: Object.fromEntries(writes.errors),
      ...result.counts,
    });
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect([...writes.errors.keys()].filter((code) => code !== 'WRITE_OUTCOME_UNKNOWN')).toEqual([]);

    // Every row on the old primary was acknowledged before the hang, or was in flight then (its
    // caller got WriteOutcomeUnknownError). Nothing started after the hang reached it.
    const ops = new Map(writes.history.ops().map((op) => [String(op.id), op]));
    const onOld = await idsOn(cluster, 'node1');
    const strays = onOld.filter((id) => {
      const op = ops.get(id);
      return !op || (op.start > faultAt && op.outcome !== 'unknown') || op.start > writableAt;
    });
    expect(strays).toEqual([]);
    // The replica promoted is the one that received the most WAL: node2 (the synchronous standby)
    // or node3 when both received the same, so the expectations name whichever it was.
    expect(splitBrains).toContain(address(cluster, next));
    expect(pool.topology().nodes.find((n) => n.name === address(cluster!, 'node1'))?.excluded).toBe(
      'stale-primary',
    );
    expect(pool.topology().primary).toBe(address(cluster, next));
  });
});
