/**
 * Kysely on PostgreSQL, through failover-pool: `npx tsx examples/kysely-pg.ts`.
 *
 * Kysely's PostgresDialect takes a pg.Pool, and failover-pool's pool is one. Kysely checks a client
 * out of it for each query (so each query gets the pool's re-run rules) and for each transaction.
 */
import { createPgPool } from 'failover-pool/pg';
import { type Generated, Kysely, PostgresDialect } from 'kysely';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

/** The shop's tables as Kysely types them. */
interface ShopDatabase {
  products: { sku: string; stock: number };
  orders: { id: Generated<string>; order_ref: number; sku: string };
}

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createPgPool({ ...connection, max: 10 });
  const db = new Kysely<ShopDatabase>({ dialect: new PostgresDialect({ pool }) });
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

if (isMain(import.meta.url)) await runExample('Kysely on PostgreSQL', 'postgresql', createShop);
