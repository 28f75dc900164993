/**
 * Sequelize 6 on PostgreSQL, through failover-pool: `npx tsx examples/sequelize-pg.ts`.
 *
 * Sequelize loads the `pg` module itself and opens its connections one by one with `pg.Client`,
 * keeping them in a pool of its own; `dialectModule` takes another module instead.
 * `createPgModule`'s Client is a connection that follows the primary: after a failover it moves to
 * the new one, where a plain pg.Client would stay connected to a dead or read-only node.
 */
import { createPgModule } from 'failover-pool/pg';
import { Sequelize } from 'sequelize';
import { isMain, runExample } from './shop/run';
import { defineShopModels, sellOne } from './shop/sequelize-models';
import type { Shop, ShopConfig } from './shop/shop';

export async function createShop({ hosts, user, password, database, sku }: ShopConfig): Promise<Shop> {
  const pg = createPgModule({ hosts });
  const sequelize = new Sequelize(database, user, password, {
    dialect: 'postgres',
    dialectModule: pg,
    pool: { max: 10 },
    logging: false,
  });
  const models = defineShopModels(sequelize);
  return {
    checkout: (orderId) => sequelize.transaction((transaction) => sellOne(models, sku, orderId, transaction)),
    async close() {
      await sequelize.close();
      await pg.end(); // the pool behind the module's connections
    },
  };
}

if (isMain(import.meta.url)) await runExample('Sequelize on PostgreSQL', 'postgresql', createShop);
