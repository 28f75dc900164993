/**
 * Drizzle on PostgreSQL, through failover-pool: `npx tsx examples/drizzle-pg.ts`.
 *
 * Drizzle's node-postgres driver takes a pg.Pool, and failover-pool's pool is one. Drizzle sends
 * plain statements through `pool.query` and checks a client out for each transaction.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { bigint, bigserial, integer, pgTable, varchar } from 'drizzle-orm/pg-core';
import { createPgPool } from 'failover-pool/pg';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

const products = pgTable('products', {
  sku: varchar('sku', { length: 64 }).primaryKey(),
  stock: integer('stock').notNull(),
});
const orders = pgTable('orders', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  orderRef: bigint('order_ref', { mode: 'number' }).notNull(),
  sku: varchar('sku', { length: 64 }).notNull(),
});

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createPgPool({ ...connection, max: 10 });
  const db = drizzle(pool);
  return {
    async checkout(orderId) {
      await db.transaction(async (tx) => {
        const taken = await tx
          .update(products)
          .set({ stock: sql`${products.stock} - 1` })
          .where(and(eq(products.sku, sku), gt(products.stock, 0)));
        if (taken.rowCount !== 1) throw new OutOfStockError(sku);
        await tx.insert(orders).values({ orderRef: orderId, sku });
      });
    },
    close: () => pool.end(), // Drizzle holds nothing of its own
  };
}

if (isMain(import.meta.url)) await runExample('Drizzle on PostgreSQL', 'postgresql', createShop);
