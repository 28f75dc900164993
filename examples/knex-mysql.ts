/**
 * Knex on MariaDB / MySQL, through failover-pool: `npx tsx examples/knex-mysql.ts`.
 *
 * Knex (3.3 and later) takes a ready-made mysql2 pool as `connectionPool`: failover-pool's callback
 * pool is one. Knex then checks a connection out of it for each query, and for each transaction.
 */
import { createMysqlPool } from 'failover-pool/mysql2';
import knex from 'knex';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createMysqlPool({ ...connection, connectionLimit: 10 });
  const db = knex({ client: 'mysql2', connectionPool: pool });
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
      await pool.promise().end();
    },
  };
}

if (isMain(import.meta.url)) await runExample('Knex on MariaDB', 'mariadb', createShop);
