/**
 * TypeORM on PostgreSQL, through failover-pool: `npx tsx examples/typeorm-pg.ts`.
 *
 * TypeORM loads the `pg` module itself and makes its own pool with it; its `driver` option takes
 * another module instead. `createPgModule` is pg with failover-pool's pool as `Pool`: TypeORM's
 * connection options (user, password, database, pool size) are merged into the module's config,
 * which lists every node. The entities are EntitySchemas: no decorators needed.
 *
 * One thing TypeORM does on its own: its query runner listens for the 'error' event that pg emits
 * on a checked-out client whose connection dies (a crash, or the old primary's shutdown in a
 * switchover), and releases itself then. A transaction whose connection dies between two of its
 * statements therefore fails with TypeORM's QueryRunnerAlreadyReleasedError, with no cause
 * attached, instead of failover-pool's NODE_UNAVAILABLE: nothing of it was sent after the loss,
 * and nothing of it was committed.
 */
import { createPgModule } from 'failover-pool/pg';
import { DataSource, MoreThan } from 'typeorm';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';
import { Order, Product } from './shop/typeorm-entities';

export async function createShop({ hosts, user, password, database, sku }: ShopConfig): Promise<Shop> {
  const pg = createPgModule({ hosts });
  const dataSource = new DataSource({
    type: 'postgres',
    driver: pg,
    username: user,
    password,
    database,
    entities: [Product, Order],
    poolSize: 10,
  });
  await dataSource.initialize();
  return {
    async checkout(orderId) {
      await dataSource.transaction(async (manager) => {
        const taken = await manager.decrement(Product, { sku, stock: MoreThan(0) }, 'stock', 1);
        if (taken.affected !== 1) throw new OutOfStockError(sku);
        await manager.insert(Order, { orderRef: orderId, sku });
      });
    },
    async close() {
      await dataSource.destroy();
      await pg.end(); // every pool the module made, in case TypeORM left one
    },
  };
}

if (isMain(import.meta.url)) await runExample('TypeORM on PostgreSQL', 'postgresql', createShop);
