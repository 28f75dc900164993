import { describe, expect, it } from 'vitest';
import { WriteOutcomeUnknownError } from '../../src/core/errors';
import { createPgPool, type FailoverPgPool } from '../../src/drivers/pg';
import {
  chaos,
  createHistory,
  type HistoryRecorder,
  type PgCluster,
  pgChaosEngine,
  startPgCluster,
} from '../../src/testing';
import { pgSources } from './support/pg-fixture';
import { endedAfterEach } from './support/resources';

/*
 * The worked example of docs/testing.md, runnable: an app's checkout tested under kill -9 of the
 * primary and under a connection cut right after COMMIT. Keep the two in step.
 */

// ---- the app under test -------------------------------------------------------------------------

async function createShop(pool: FailoverPgPool): Promise<void> {
  await pool.query('CREATE TABLE stock (sku text PRIMARY KEY, qty int NOT NULL)');
  // order_ref is the app's idempotency key. No UNIQUE here, in the test schema only: an order
  // placed twice must show up as two rows for the checker, not as a constraint error.
  await pool.query(
    'CREATE TABLE orders (id bigserial PRIMARY KEY, order_ref bigint NOT NULL, sku text NOT NULL)',
  );
  await pool.query("INSERT INTO stock VALUES ('mug', 1000000)");
}

/** Takes one item from stock and records the order, in one transaction. */
async function checkout(pool: FailoverPgPool, orderRef: number, sku: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const taken = await client.query('UPDATE stock SET qty = qty - 1 WHERE sku = $1 AND qty > 0', [sku]);
    if (taken.rowCount !== 1) throw new Error(`${sku} is out of stock`);
    await client.query('INSERT INTO orders (order_ref, sku) VALUES ($1, $2)', [orderRef, sku]);
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    // A broken client is destroyed, not pooled; the transaction dies with its connection.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

// ---- the test ----------------------------------------------------------------------------------

/**
 * Places one order and records how it ended, as the app saw it: failover-pool says when a write
 * may have been applied (WriteOutcomeUnknownError), its other errors mean "not applied", and any
 * other error is counted as unknown.
 */
async function placeOrder(pool: FailoverPgPool, history: HistoryRecorder, orderRef: number): Promise<void> {
  await history.attempt(orderRef, () => checkout(pool, orderRef, 'mug'));
}

async function orderRefs(cluster: PgCluster): Promise<string[]> {
  const rows = await cluster.query<{ order_ref: string }>(
    cluster.primary,
    'SELECT order_ref FROM orders',
    [],
    {
      database: cluster.connectionOptions.database,
    },
  );
  return rows.map((row) => row.order_ref);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const [source] = pgSources();

describe.skipIf(!source)('docs/testing.md: a checkout under faults', () => {
  const started = endedAfterEach();

  it('loses and duplicates no order when the primary is killed', async () => {
    const cluster = started.cluster(await startPgCluster({ source, synchronous: true }));
    const pool = started.pool(createPgPool({ ...cluster.connectionOptions, query_timeout: 5_000 }));
    await createShop(pool);

    const history = createHistory();
    let nextRef = 1;
    let open = true;
    const shopper = async () => {
      while (open) await placeOrder(pool, history, nextRef++);
    };
    const shoppers = [shopper(), shopper(), shopper(), shopper()];

    await sleep(1_000);
    cluster.kill('node1', 'SIGKILL'); // the primary crashes
    await sleep(500); // Patroni notices and promotes the standby that received the most
    const next = await cluster.mostAdvanced();
    await cluster.promote(next);
    const promotedAt = performance.now();
    for (const other of ['node2', 'node3'].filter((node) => node !== next))
      await cluster.repoint(other, next);
    await sleep(1_000);
    open = false;
    await Promise.all(shoppers);

    const result = history.check(await orderRefs(cluster));
    console.log(result.report());
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.failedButApplied).toEqual([]);
    // And the shop kept selling on the new primary.
    expect(history.ops().some((op) => op.outcome === 'ok' && op.start > promotedAt)).toBe(true);
  });

  it('reports an order whose COMMIT reply was lost as unknown, and it was in fact placed', async () => {
    const cluster = started.cluster(await startPgCluster({ source, synchronous: true, proxies: true }));
    const pool = started.pool(createPgPool({ ...cluster.connectionOptions, query_timeout: 5_000 }));
    await createShop(pool);

    // The proxy forwards the COMMIT, then drops the connection before the reply comes back.
    const cut = cluster.proxy('node1').cutOn('COMMIT', { when: 'after', times: 1 });
    const history = createHistory();
    await placeOrder(pool, history, 42);
    await placeOrder(pool, history, 43); // the next order goes through normally

    expect(cut.cuts).toBe(1);
    const [order42] = history.ops();
    expect(order42?.error).toBeInstanceOf(WriteOutcomeUnknownError);
    const result = history.check(await orderRefs(cluster));
    console.log(result.report());
    expect(result.unknown.applied).toEqual(['42']);
    expect(result.ok).toBe(true);
  });

  it('runs the checkout through a cell of the chaos matrix', async () => {
    const result = await chaos.runTrial({
      engine: pgChaosEngine({ cluster: { source } }),
      workload: {
        name: 'checkout',
        setup: createShop,
        write: (shopPool, id) => checkout(shopPool, id, 'mug'),
        idsSql: 'SELECT order_ref AS id FROM orders',
      },
      fault: chaos.faultsNamed(['kill-primary'])[0]!,
      replication: 'sync',
      trial: 1,
    });
    expect(result.harnessError).toBeUndefined();
    expect(result.lost + result.duplicated + result.failedButApplied + result.strays + result.hung).toBe(0);
    expect(result.writes.ok).toBeGreaterThan(100);
  });
});
