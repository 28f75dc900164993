/**
 * Sequelize 6 on MariaDB / MySQL, through failover-pool: `npx tsx examples/sequelize-mysql.ts`.
 *
 * Sequelize loads the `mysql2` module itself and opens its connections one by one with
 * `createConnection`, keeping them in a pool of its own; `dialectModule` takes another module
 * instead. `createMysql2Module`'s connections follow the primary: after a failover they move to
 * the new one. Use `dialect: 'mysql'` on MariaDB too (Sequelize's `mariadb` dialect uses the
 * `mariadb` package, not mysql2).
 */
import { createMysql2Module } from 'failover-pool/mysql2';
import { Sequelize } from 'sequelize';
import { isMain, runExample } from './shop/run';
import { defineShopModels, sellOne } from './shop/sequelize-models';
import type { Shop, ShopConfig } from './shop/shop';

export async function createShop({ hosts, user, password, database, sku }: ShopConfig): Promise<Shop> {
  const mysql2 = createMysql2Module({ hosts });
  const sequelize = new Sequelize(database, user, password, {
    dialect: 'mysql',
    dialectModule: mysql2,
    pool: { max: 10 },
    logging: false,
  });
  const models = defineShopModels(sequelize);
  return {
    checkout: (orderId) => sequelize.transaction((transaction) => sellOne(models, sku, orderId, transaction)),
    async close() {
      await sequelize.close();
      await mysql2.end(); // the pool behind the module's connections
    },
  };
}

if (isMain(import.meta.url)) await runExample('Sequelize on MariaDB', 'mariadb', createShop);
