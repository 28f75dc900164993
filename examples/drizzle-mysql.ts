/**
 * Drizzle on MariaDB / MySQL, through failover-pool: `npx tsx examples/drizzle-mysql.ts`.
 *
 * Drizzle's mysql2 driver takes a mysql2 pool: failover-pool's callback pool (or its promise pool)
 * is one. Drizzle sends plain statements through the pool and checks a connection out for each
 * transaction.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import { bigint, int, mysqlTable, serial, varchar } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import { createMysqlPool } from 'failover-pool/mysql2';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

const products = mysqlTable('products', {
  sku: varchar('sku', { length: 64 }).primaryKey(),
  stock: int('stock').notNull(),
});
const orders = mysqlTable('orders', {
  id: serial('id').primaryKey(),
  orderRef: bigint('order_ref', { mode: 'number' }).notNull(),
  sku: varchar('sku', { length: 64 }).notNull(),
});

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createMysqlPool({ ...connection, connectionLimit: 10 });
  const db = drizzle(pool);
  return {
    async checkout(orderId) {
      await db.transaction(async (tx) => {
        const [taken] = await tx
          .update(products)
          .set({ stock: sql`${products.stock} - 1` })
          .where(and(eq(products.sku, sku), gt(products.stock, 0)));
        if (taken.affectedRows !== 1) throw new OutOfStockError(sku);
        await tx.insert(orders).values({ orderRef: orderId, sku });
      });
    },
    close: () => pool.promise().end(), // Drizzle holds nothing of its own
  };
}

if (isMain(import.meta.url)) await runExample('Drizzle on MariaDB', 'mariadb', createShop);
