/**
 * The shop: a stock table, an orders table, and shoppers placing orders in a loop through the app
 * instances, every outcome recorded in a history for the checker.
 */
import type { FailoverPgPool } from '../src/drivers/pg';
import { createHistory, type HistoryRecorder } from '../src/testing';
import type { App } from './apps';
import { say } from './timeline';

export const INITIAL_STOCK = 1_000_000;

export async function createShop(pool: FailoverPgPool): Promise<void> {
  await pool.query('CREATE TABLE stock (sku text PRIMARY KEY, qty int NOT NULL)');
  await pool.query('CREATE TABLE orders (id bigint PRIMARY KEY, sku text NOT NULL, total numeric NOT NULL)');
  await pool.query(`INSERT INTO stock VALUES ('mug', ${INITIAL_STOCK})`);
}

// One checkout = one statement: the stock decrement and the order commit together or not at all.
const checkout = (pool: FailoverPgPool, id: number) =>
  pool.query(
    `WITH taken AS (UPDATE stock SET qty = qty - 1 WHERE sku = 'mug' AND qty > 0 RETURNING sku)
     INSERT INTO orders (id, sku, total) SELECT $1, sku, 12.50 FROM taken`,
    [id],
  );

export interface Shop {
  readonly history: HistoryRecorder;
  /** The errors the shoppers saw, by code. */
  readonly errors: ReadonlyMap<string, number>;
  /** The first order placed after `since` (a crash) and acknowledged is announced: the orders resume. */
  watchForResumption(since: number, describe: (app: App) => string): void;
  close(): Promise<void>;
}

/** `shoppers` shoppers, shopper i ordering through app i (round the apps). */
export function openShop(apps: readonly App[], shoppers: number): Shop {
  const history = createHistory();
  const errors = new Map<string, number>();
  let nextId = 1;
  let open = true;
  let resumption: { since: number; describe: (app: App) => string } | undefined;
  const shopper = async (app: App) => {
    while (open) {
      const id = nextId++;
      const placedAt = performance.now();
      // failover-pool's errors say whether the order may have been placed (WriteOutcomeUnknownError)
      // or certainly was not (the others); the history records it so.
      const error = await history.attempt(id, () => checkout(app.pool, id));
      if (error !== undefined) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        errors.set(code, (errors.get(code) ?? 0) + 1);
      } else if (resumption && placedAt > resumption.since) {
        say(`${app.name}: ${resumption.describe(app)}`);
        resumption = undefined;
      }
    }
  };
  const running = Array.from({ length: shoppers }, (_, i) => shopper(apps[i % apps.length] as App));
  return {
    history,
    errors,
    watchForResumption(since, describe) {
      resumption = { since, describe };
    },
    async close() {
      open = false;
      await Promise.all(running);
    },
  };
}
