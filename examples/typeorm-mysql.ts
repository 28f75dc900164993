/**
 * TypeORM on MariaDB / MySQL, through failover-pool: `npx tsx examples/typeorm-mysql.ts`.
 *
 * TypeORM loads the `mysql2` module itself and makes its own pool with it; its `driver` option
 * takes another module instead. `createMysql2Module` is mysql2 with failover-pool's pool behind
 * `createPool`: TypeORM's connection options are merged into the module's config, which lists
 * every node. The entities are EntitySchemas: no decorators needed.
 */
import { createMysql2Module } from 'failover-pool/mysql2';
import { DataSource, MoreThan } from 'typeorm';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';
import { Order, Product } from './shop/typeorm-entities';

export async function createShop({ hosts, user, password, database, sku }: ShopConfig): Promise<Shop> {
  const mysql2 = createMysql2Module({ hosts });
  const dataSource = new DataSource({
    type: 'mysql',
    driver: mysql2,
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
      await mysql2.end(); // every pool the module made, in case TypeORM left one
    },
  };
}

if (isMain(import.meta.url)) await runExample('TypeORM on MariaDB', 'mariadb', createShop);
