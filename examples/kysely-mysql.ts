/**
 * Kysely on MariaDB / MySQL, through failover-pool: `npx tsx examples/kysely-mysql.ts`.
 *
 * Kysely's MysqlDialect takes a mysql2 callback pool: failover-pool's `createMysqlPool` is one.
 * Kysely checks a connection out of it for each query and for each transaction.
 */
import { createMysqlPool } from 'failover-pool/mysql2';
import { type Generated, Kysely, MysqlDialect } from 'kysely';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

/** The shop's tables as Kysely types them. */
interface ShopDatabase {
  products: { sku: string; stock: number };
  orders: { id: Generated<string>; order_ref: number; sku: string };
}

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createMysqlPool({ ...connection, connectionLimit: 10 });
  const db = new Kysely<ShopDatabase>({ dialect: new MysqlDialect({ pool }) });
  return {
    async checkout(orderId) {
      await db.transaction().execute(async (trx) => {
        const taken = await trx
          .updateTable('products')
          .set((eb) => ({ stock: eb('stock', '-', 1) }))
          .where('sku', '=', sku)
          .where('stock', '>', 0)
          .executeTakeFirst();
        if (taken.numUpdatedRows !== 1n) throw new OutOfStockError(sku);
        await trx.insertInto('orders').values({ order_ref: orderId, sku }).execute();
      });
    },
    close: () => db.destroy(), // ends the pool it was given
  };
}

if (isMain(import.meta.url)) await runExample('Kysely on MariaDB', 'mariadb', createShop);
