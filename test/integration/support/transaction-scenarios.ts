import { afterEach, expect, it } from 'vitest';
import { CommitOutcomeUnknownError, FailoverPoolError } from '../../../src/core/errors';
import type { TransactionRetryEvent } from '../../../src/core/events';
import type { TransactionOptions, TransactionsOptions } from '../../../src/core/transaction-options';
import { createHistory, type FaultProxy, type faultProxy } from '../../../src/testing';
import {
  type AppPool,
  type EngineFixture,
  promoteMostAdvanced,
  type Row,
  type SqlTx,
} from './engine-fixture';
import { settled, sleep } from './wait';

/**
 * The scenarios of pool.transaction on real clusters, written once for every engine:
 * `transactionTests(fixture)` registers them for one engine's fixture (transactions.test.ts).
 * Counts are printed; assertions are on what must hold (nothing lost or doubled where the guarantees
 * say so), never on timings.
 */

/** A commit waiting for a synchronous replica that never comes must fail the test, not hang it. */
const STATEMENT_TIMEOUT_MS = 20_000;

/** A cluster of the fixture's engine, the app's pool on it, and what the scenarios do to both. */
export interface TxCluster {
  /** For the printed reports, e.g. `PostgreSQL (system), PostgreSQL 15, sync`. */
  readonly label: string;
  /** The node the harness made primary last. */
  readonly primary: string;
  transaction<T>(fn: (tx: SqlTx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `sql` through the pool (schema set-up). */
  poolQuery(sql: string): Promise<void>;
  onRetry(listener: (event: TransactionRetryEvent) => void): void;
  proxy(node: string): FaultProxy;
  kill(node: string): void;
  /** Promotes the replica that received the most, points the others at it; returns its name. */
  failover(): Promise<string>;
  /** Rows of `sql` on `node`, read directly as the harness's administrator. */
  query(node: string, sql: string): Promise<Row[]>;
  /** The SQL types the shop's tables use on this engine. */
  readonly types: { serial: string; text: string };
  /** PostgreSQL aborts a transaction at its first error; MySQL rolls back the statement only. */
  readonly abortsOnError: boolean;
  /** Another pool on the same cluster (ended by destroy()). */
  newPool(transactions: TransactionsOptions): Pick<TxCluster, 'transaction'>;
  destroy(): Promise<void>;
}

export interface TxClusterOptions {
  replication?: 'async' | 'sync';
  /** A fault proxy in front of every node. */
  proxies?: boolean;
  replicas?: number;
}

async function txCluster(fixture: EngineFixture, options: TxClusterOptions): Promise<TxCluster> {
  const cluster = await fixture.start(options);
  const pools: AppPool[] = [];
  const newPool = (transactions?: TransactionsOptions): AppPool => {
    const pool = fixture.pool(cluster, { statementTimeoutMs: STATEMENT_TIMEOUT_MS, transactions });
    pools.push(pool);
    return pool;
  };
  let pool: AppPool;
  try {
    pool = newPool();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return {
    label: `${fixture.name}, ${cluster.description}, ${cluster.replication}`,
    get primary() {
      return cluster.primary;
    },
    types: fixture.types,
    abortsOnError: fixture.abortsOnError,
    transaction: (fn, transactionOptions) => pool.transaction(fn, transactionOptions),
    newPool: (transactions) => newPool(transactions),
    poolQuery: async (sql) => {
      await pool.query(sql);
    },
    onRetry: (listener) => pool.on('transactionRetry', listener),
    proxy: (node) => cluster.proxy(node),
    kill: (node) => cluster.kill(node, 'SIGKILL'),
    failover: async () => {
      const [next, others] = await promoteMostAdvanced(cluster);
      for (const other of others) await cluster.waitForReplication(other, 15_000);
      return next;
    },
    query: (node, sql) => cluster.query(node, sql, [], { database: cluster.connectionOptions.database }),
    destroy: async () => {
      await Promise.all(pools.map((each) => each.end()));
      await cluster.destroy();
    },
  };
}

export async function createShop(cluster: TxCluster): Promise<void> {
  const { serial, text } = cluster.types;
  await cluster.poolQuery(`CREATE TABLE stock (sku ${text} PRIMARY KEY, qty INT NOT NULL)`);
  // order_ref is the checkout's key, deliberately not UNIQUE: an order placed twice must show as two
  // rows for the checker, not be prevented by the schema.
  await cluster.poolQuery(
    `CREATE TABLE orders (id ${serial} PRIMARY KEY, order_ref BIGINT NOT NULL, sku ${text} NOT NULL)`,
  );
  await cluster.poolQuery('CREATE TABLE counters (id INT PRIMARY KEY, value INT NOT NULL)');
  await cluster.poolQuery("INSERT INTO stock VALUES ('mug', 1000000)");
  await cluster.poolQuery('INSERT INTO counters VALUES (1, 0)');
}

/** Takes a mug from stock and records the order: the example. Returns the order's id. */
export async function checkout(tx: SqlTx, orderRef: number): Promise<number> {
  await tx.rows("UPDATE stock SET qty = qty - 1 WHERE sku = 'mug' AND qty > 0");
  const [order] = await tx.rows("INSERT INTO orders (order_ref, sku) VALUES ($1, 'mug') RETURNING id", [
    orderRef,
  ]);
  return Number(order?.id);
}

/** order_ref -> how many orders carry it, on `node`. */
async function ordersByRef(cluster: TxCluster, node: string): Promise<Map<string, number[]>> {
  const rows = await cluster.query(node, 'SELECT id, order_ref FROM orders');
  const byRef = new Map<string, number[]>();
  for (const row of rows) {
    const ref = String(row.order_ref);
    byRef.set(ref, [...(byRef.get(ref) ?? []), Number(row.id)]);
  }
  return byRef;
}

async function storedKeys(cluster: TxCluster, node: string): Promise<string[]> {
  const rows = await cluster.query(node, 'SELECT idempotency_key FROM failover_pool_idempotency');
  return rows.map((row) => String(row.idempotency_key));
}

function countRetries(cluster: TxCluster): Record<string, number> {
  const counts: Record<string, number> = {};
  cluster.onRetry((event) => {
    counts[event.reason] = (counts[event.reason] ?? 0) + 1;
  });
  return counts;
}

function errorCode(error: unknown): string {
  if (error instanceof FailoverPoolError) return error.code;
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return String(code ?? errno ?? (error as Error)?.constructor?.name);
}

function bump(counts: Record<string, number>, name: string): void {
  counts[name] = (counts[name] ?? 0) + 1;
}

/** A small seeded generator, so a failing run can be repeated (the seed is printed). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * (1) The proxy cuts the connection right after forwarding COMMIT, before the reply, on a random
 * tenth of 1,000 checkouts by 4 concurrent shoppers: every checkout with a key must return, its order
 * exist exactly once, and the id it returned be that order's. A few checkouts without a key, every
 * one cut, show the other branch: CommitOutcomeUnknownError, and the order was in fact placed.
 */
async function commitCutScenario(cluster: TxCluster, checkouts = 1_000): Promise<void> {
  await createShop(cluster);
  const proxy = cluster.proxy(cluster.primary);
  const seed = Date.now() % 100_000;
  const chance = random(seed);
  const retries = countRetries(cluster);
  const cuts: faultProxy.CutHandle[] = [];
  const returned = new Map<string, number>();
  const errors: Record<string, number> = {};
  let next = 1;
  const shopper = async () => {
    while (next <= checkouts) {
      const ref = next++;
      if (chance() < 0.1) cuts.push(proxy.cutOn('COMMIT', { when: 'after', times: 1 }));
      try {
        returned.set(
          String(ref),
          await cluster.transaction((tx) => checkout(tx, ref), { idempotencyKey: `checkout:${ref}` }),
        );
      } catch (error) {
        bump(errors, errorCode(error));
      }
    }
  };
  await settled('the shoppers to finish', Promise.all([shopper(), shopper(), shopper(), shopper()]));
  for (const cut of cuts) await cut.off();
  const cutsMade = cuts.reduce((sum, cut) => sum + cut.cuts, 0);

  // Without a key the pool cannot tell, and says so.
  const unkeyed: Record<string, number> = {};
  for (let ref = 100_001; ref <= 100_010; ref++) {
    const cut = proxy.cutOn('COMMIT', { when: 'after', times: 1 });
    const outcome = await cluster.transaction((tx) => checkout(tx, ref)).catch((error: unknown) => error);
    bump(
      unkeyed,
      outcome instanceof CommitOutcomeUnknownError ? `${outcome.code}:${outcome.reason}` : errorCode(outcome),
    );
    await cut.off();
  }

  const orders = await ordersByRef(cluster, cluster.primary);
  const keyed = [...orders].filter(([ref]) => Number(ref) <= checkouts);
  const missing = Array.from({ length: checkouts }, (_, i) => String(i + 1)).filter(
    (ref) => !orders.has(ref),
  );
  const doubled = keyed.filter(([, ids]) => ids.length > 1).map(([ref]) => ref);
  const wrongResult = keyed.filter(([ref, ids]) => returned.get(ref) !== ids[0]).map(([ref]) => ref);
  const keys = await storedKeys(cluster, cluster.primary);
  const unkeyedPlaced = [...orders.keys()].filter((ref) => Number(ref) > 100_000).length;
  console.log(
    `[${cluster.label}] (1) COMMIT cut after forwarding: ${JSON.stringify({
      seed,
      checkouts,
      cutsArmed: cuts.length,
      cutsMade,
      returned: returned.size,
      errors,
      retries,
      missing: missing.length,
      doubled: doubled.length,
      wrongResult: wrongResult.length,
      keysStored: keys.length,
      withoutKey: { ...unkeyed, placed: unkeyedPlaced },
    })}`,
  );
  expect(cutsMade).toBeGreaterThan(checkouts / 20);
  expect(errors).toEqual({});
  expect(returned.size).toBe(checkouts);
  expect(missing).toEqual([]);
  expect(doubled).toEqual([]);
  expect(wrongResult).toEqual([]);
  expect(keys).toHaveLength(checkouts);
  expect(unkeyed).toEqual({ 'COMMIT_OUTCOME_UNKNOWN:no-key': 10 });
  expect(unkeyedPlaced).toBe(10);
}

/**
 * (2) kill -9 of the primary in the middle of a stream of checkouts (4 shoppers, each with a key);
 * the harness promotes the most advanced replica 500 ms later. Nothing may ever be doubled, nor a
 * checkout that failed with "not applied" be there. With synchronous replication nothing
 * acknowledged may be lost either, and no commit stays unknown; with asynchronous replication the
 * losses are counted and printed.
 */
async function killPrimaryScenario(cluster: TxCluster, synchronous: boolean): Promise<void> {
  await createShop(cluster);
  const retries = countRetries(cluster);
  const history = createHistory();
  const errors: Record<string, number> = {};
  let next = 1;
  let open = true;
  const shopper = async () => {
    while (open) {
      const ref = next++;
      // The library's errors say "not applied", except the outcome-unknown ones; anything else may have been.
      const error = await history.attempt(ref, () =>
        cluster.transaction((tx) => checkout(tx, ref), { idempotencyKey: `checkout:${ref}` }),
      );
      if (error !== undefined) bump(errors, errorCode(error));
    }
  };
  const shoppers = [shopper(), shopper(), shopper(), shopper()];
  await sleep(1_000);
  const old = cluster.primary;
  cluster.kill(old);
  await sleep(500);
  const promoted = await cluster.failover();
  const promotedAt = performance.now();
  await sleep(1_500);
  open = false;
  await settled('the shoppers to finish', Promise.all(shoppers));

  const orders = await ordersByRef(cluster, promoted);
  const finalRefs = [...orders].flatMap(([ref, ids]) => ids.map(() => ref));
  const result = history.check(finalRefs);
  const keys = new Set(await storedKeys(cluster, promoted));
  // Each order committed with its key, in one transaction: the two sets must match.
  const orderWithoutKey = [...orders.keys()].filter((ref) => !keys.has(`checkout:${ref}`));
  const afterPromotion = history.ops().filter((op) => op.outcome === 'ok' && op.start > promotedAt).length;
  console.log(
    `[${cluster.label}] (2) kill -9 of ${old}, ${promoted} promoted: ${JSON.stringify({
      ...result.counts,
      lost: result.lost.length,
      duplicates: result.duplicates.length,
      failedButApplied: result.failedButApplied.length,
      unknownApplied: result.unknown.applied.length,
      unknownNotApplied: result.unknown.notApplied.length,
      okAfterPromotion: afterPromotion,
      keysStored: keys.size,
      orderWithoutKey: orderWithoutKey.length,
      errors,
      retries,
    })}`,
  );
  expect(result.duplicates).toEqual([]);
  expect(result.failedButApplied).toEqual([]);
  expect(result.unexpected).toEqual([]);
  expect(orderWithoutKey).toEqual([]);
  expect(afterPromotion).toBeGreaterThan(10);
  if (synchronous) {
    expect(result.lost).toEqual([]);
    // Every COMMIT in doubt was resolved through its key.
    expect(errors.COMMIT_OUTCOME_UNKNOWN ?? 0).toBe(0);
  }
}

/**
 * (3) Serialization conflicts under concurrency: 6 callers each add 1 to one counter 15 times, read
 * then write, at SERIALIZABLE. Every transaction must succeed, some only after re-runs (conflicts
 * must actually have happened), and the counter must count each exactly once.
 */
async function conflictScenario(cluster: TxCluster): Promise<void> {
  await createShop(cluster);
  const retries = countRetries(cluster);
  const workers = 6;
  const each = 15;
  let runs = 0;
  const increment = () =>
    cluster.transaction(
      async (tx) => {
        runs++;
        const [row] = await tx.rows('SELECT value FROM counters WHERE id = 1');
        await tx.rows('UPDATE counters SET value = $1 WHERE id = 1', [Number(row?.value) + 1]);
      },
      { isolationLevel: 'serializable', maxAttempts: 200 },
    );
  const outcomes = await Promise.allSettled(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < each; i++) await increment();
    }),
  );
  const [counter] = await cluster.query(cluster.primary, 'SELECT value FROM counters WHERE id = 1');
  const conflicts =
    (retries['serialization-failure'] ?? 0) + (retries.deadlock ?? 0) + (retries['lock-timeout'] ?? 0);
  console.log(
    `[${cluster.label}] (3) serialization conflicts: ${JSON.stringify({
      transactions: workers * each,
      functionRuns: runs,
      counter: Number(counter?.value),
      retries,
      failed: outcomes
        .filter((o) => o.status === 'rejected')
        .map((o) => String((o as PromiseRejectedResult).reason)),
    })}`,
  );
  expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
  expect(Number(counter?.value)).toBe(workers * each);
  expect(conflicts).toBeGreaterThan(0);
  expect(runs).toBe(workers * each + conflicts);
}

/**
 * (4) A function that throws its own error is not re-run and the caller gets that very error; a
 * database error the function does not catch (its own constraint) likewise. Nothing of either is
 * committed, key included. A nested call joins: it commits, and rolls back, with the outer one.
 */
async function applicationErrorScenario(cluster: TxCluster): Promise<void> {
  await createShop(cluster);
  const declined = new Error('card declined');
  let runs = 0;
  const outcome = cluster.transaction(
    async (tx) => {
      runs++;
      await checkout(tx, 900);
      throw declined;
    },
    { idempotencyKey: 'checkout:900' },
  );
  await expect(outcome).rejects.toBe(declined);
  expect(runs).toBe(1);

  let constraintRuns = 0;
  const violation = await cluster
    .transaction(async (tx) => {
      constraintRuns++;
      await checkout(tx, 901);
      await tx.rows("INSERT INTO stock VALUES ('mug', 1)");
    })
    .catch((error: unknown) => error);
  expect(violation).not.toBeInstanceOf(FailoverPoolError);
  expect(errorCode(violation)).toMatch(/^(23505|ER_DUP_ENTRY)$/);
  expect(constraintRuns).toBe(1);

  const nested = await cluster.transaction(async (tx) => {
    await checkout(tx, 902);
    return cluster.transaction((inner) => checkout(inner, 903), { idempotencyKey: 'checkout:903' });
  });
  const nestedFailure = await cluster
    .transaction(async (tx) => {
      await checkout(tx, 904);
      await cluster.transaction(async (inner) => {
        await checkout(inner, 905);
        throw declined;
      });
    })
    .catch((error: unknown) => error);
  expect(nestedFailure).toBe(declined);

  // A function that catches a statement's error and goes on: PostgreSQL has aborted the transaction
  // (its COMMIT answers ROLLBACK), so the caller gets that error; MySQL commits the rest.
  const swallowed = await cluster
    .transaction(async (tx) => {
      await checkout(tx, 906);
      await tx.rows("INSERT INTO stock VALUES ('mug', 1)").catch(() => undefined);
      return 'went on';
    })
    .catch((error: unknown) => error);

  const orders = await ordersByRef(cluster, cluster.primary);
  const keys = await storedKeys(cluster, cluster.primary);
  console.log(
    `[${cluster.label}] (4) application errors: ${JSON.stringify({
      runs,
      constraintRuns,
      constraintError: errorCode(violation),
      swallowed: swallowed === 'went on' ? swallowed : errorCode(swallowed),
      orders: [...orders.keys()],
      keys,
    })}`,
  );
  if (cluster.abortsOnError) expect(errorCode(swallowed)).toBe('23505');
  else expect(swallowed).toBe('went on');
  const placed = cluster.abortsOnError ? ['902', '903'] : ['902', '903', '906'];
  expect([...orders.keys()].sort()).toEqual(placed);
  expect(orders.get('903')).toEqual([nested]);
  expect(keys).toEqual(['checkout:903']);
}

/**
 * Many app instances using a key for the first time at once, each creating the idempotency table:
 * every one must succeed (on PostgreSQL a CREATE TABLE IF NOT EXISTS racing another one can fail with
 * a unique violation on the catalog).
 */
async function tableCreationRaceScenario(cluster: TxCluster): Promise<void> {
  await createShop(cluster);
  const pools = Array.from({ length: 6 }, () => cluster.newPool({ idempotencyTable: 'race_keys' }));
  const outcomes = await Promise.allSettled(
    pools.map((pool, i) => pool.transaction((tx) => checkout(tx, 3000 + i), { idempotencyKey: `race:${i}` })),
  );
  const keys = await cluster.query(cluster.primary, 'SELECT idempotency_key FROM race_keys');
  console.log(
    `[${cluster.label}] idempotency table created by 6 pools at once: ${JSON.stringify({
      failed: outcomes
        .filter((o) => o.status === 'rejected')
        .map((o) => errorCode((o as PromiseRejectedResult).reason)),
      keys: keys.length,
    })}`,
  );
  expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
  expect(keys).toHaveLength(6);
}

/** Registers every scenario as a test of the enclosing `describe`, each on a fresh cluster of `fixture`'s engine. */
export function transactionTests(fixture: EngineFixture): void {
  let cluster: TxCluster | undefined;
  const on = async (options: TxClusterOptions) => {
    cluster = await txCluster(fixture, options);
    return cluster;
  };
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  it('(1) COMMIT cut after forwarding on a random 10% of 1,000 checkouts: each key exactly once, no unknown outcome', async () => {
    await commitCutScenario(await on({ proxies: true }));
  });

  it('(2) kill -9 of the primary mid-stream, synchronous replication: none lost, none doubled', async () => {
    await killPrimaryScenario(await on({ replication: 'sync' }), true);
  });

  it('(2) kill -9 of the primary mid-stream, asynchronous replication: none doubled, losses counted', async () => {
    await killPrimaryScenario(await on({ replication: 'async' }), false);
  });

  it('(3) serialization failures and deadlocks under concurrency are re-run; every transaction succeeds', async () => {
    await conflictScenario(await on({ replicas: 0 }));
  });

  it("(4) the function's own error is not re-run and reaches the caller unchanged; nested calls join", async () => {
    await applicationErrorScenario(await on({}));
  });

  it('the idempotency table created by several pools at once: every one succeeds', async () => {
    await tableCreationRaceScenario(await on({ replicas: 0 }));
  });
}
