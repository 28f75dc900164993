/**
 * Knex on PostgreSQL, through failover-pool: `npx tsx examples/knex-pg.ts`.
 *
 * Knex (3.3 and later) takes a ready-made pg.Pool as `connectionPool`, and failover-pool's pool is
 * one. Knex then checks a client out of it for each query, and for each transaction.
 */
import { createPgPool } from 'failover-pool/pg';
import knex from 'knex';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createPgPool({ ...connection, max: 10 });
  const db = knex({ client: 'pg', connectionPool: pool });
  return {
    async checkout(orderId) {
      await db.transaction(async (trx) => {
        const taken = await trx('products').where('sku', sku).andWhere('stock', '>', 0).decrement('stock', 1);
        if (taken !== 1) throw new OutOfStockError(sku);
        await trx('orders').insert({ order_ref: orderId, sku });
      });
    },
    async close() {
      await db.destroy(); // leaves a pool it was given alone
      await pool.end();
    },
  };
}

if (isMain(import.meta.url)) await runExample('Knex on PostgreSQL', 'postgresql', createShop);
