/**
 * What every example shares: the shop every ORM example builds, its tables, and the way a checker
 * reads them back. Each example writes the same checkout in its own ORM's style; the driver loop
 * (run.ts) only ever calls `checkout` and `close`.
 */

/** The engines the examples run on. */
export type Engine = 'postgresql' | 'mariadb';

/** Where a shop connects: every node of the cluster, and the application's account. */
export interface ShopConfig {
  hosts: string[];
  user: string;
  password: string;
  database: string;
  /** The product this shop sells. Its own row: several shops may share one database. */
  sku: string;
}

/** A shop built with one ORM on failover-pool. */
export interface Shop {
  /**
   * Places order `orderId` for one unit of the shop's product: takes it from stock and records the
   * order, in one transaction of the ORM. The caller chooses the id, so that a checker can count
   * the orders that reached the database.
   */
  checkout(orderId: number): Promise<void>;
  /** Ends the ORM and the pool under it. */
  close(): Promise<void>;
}

/** What every example exports: a shop on the given nodes and account. */
export type CreateShop = (config: ShopConfig) => Promise<Shop>;

/** The product ran out: the app's own error, never expected in these runs (the stock is large). */
export class OutOfStockError extends Error {
  constructor(sku: string) {
    super(`${sku} is out of stock`);
    this.name = 'OutOfStockError';
  }
}

/** Units of each product at the start: more than any run sells. */
export const INITIAL_STOCK = 1_000_000;

/**
 * The tables, created by the application's account before the shop opens. `orders.order_ref` is the
 * caller's order id. It is deliberately not UNIQUE: an order placed twice must show up as two rows
 * for the checker to count, rather than as a constraint error (in production the same column would
 * carry a unique idempotency key). The ORMs want a primary key of their own, hence `id`.
 */
export const SCHEMA: Record<Engine, readonly string[]> = {
  postgresql: [
    'CREATE TABLE products (sku VARCHAR(64) PRIMARY KEY, stock INTEGER NOT NULL)',
    'CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, order_ref BIGINT NOT NULL, sku VARCHAR(64) NOT NULL)',
  ],
  mariadb: [
    'CREATE TABLE products (sku VARCHAR(64) PRIMARY KEY, stock INTEGER NOT NULL)',
    'CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_ref BIGINT NOT NULL, sku VARCHAR(64) NOT NULL)',
  ],
};

/** `text` with `$1`, `$2`... placeholders in the engine's own style. */
const placeholders = (engine: Engine, text: string) =>
  engine === 'postgresql' ? text : text.replace(/\$\d+/g, '?');

/** Adds a product with INITIAL_STOCK units. */
export const addProductSql = (engine: Engine) =>
  placeholders(engine, `INSERT INTO products (sku, stock) VALUES ($1, ${INITIAL_STOCK})`);

/** Every order of a product, one row per order placed (a duplicate is two rows). */
export const orderRefsSql = (engine: Engine) =>
  placeholders(engine, 'SELECT order_ref FROM orders WHERE sku = $1');

/** What is left of a product. */
export const stockSql = (engine: Engine) => placeholders(engine, 'SELECT stock FROM products WHERE sku = $1');
