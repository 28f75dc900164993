/**
 * Prisma ORM 7 on PostgreSQL, through failover-pool: `npx tsx examples/prisma-pg.ts`.
 *
 * Prisma's driver adapter for pg (`@prisma/adapter-pg`) takes a ready-made pg.Pool, and
 * failover-pool's pool is one. The client is generated from prisma/schema.prisma (committed in
 * prisma/generated). Prisma on MySQL/MariaDB is not shown: its adapter uses the `mariadb` driver,
 * not mysql2.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { createPgPool } from 'failover-pool/pg';
import { PrismaClient } from './prisma/generated/client';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

export async function createShop({ sku, ...connection }: ShopConfig): Promise<Shop> {
  const pool = createPgPool({ ...connection, max: 10 });
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    // Prisma gives up starting an interactive transaction after maxWait (2 s by default) with P2028
    // ("Unable to start a transaction in the given time"): as long as failover-pool waits for a new
    // primary (failover.waitForPrimaryMs, 30 s), so that a longer failover delays orders instead.
    transactionOptions: { maxWait: 30_000 },
  });
  return {
    async checkout(orderId) {
      await prisma.$transaction(async (tx) => {
        const taken = await tx.product.updateMany({
          where: { sku, stock: { gt: 0 } },
          data: { stock: { decrement: 1 } },
        });
        if (taken.count !== 1) throw new OutOfStockError(sku);
        await tx.order.create({ data: { orderRef: BigInt(orderId), sku } });
      });
    },
    async close() {
      await prisma.$disconnect(); // leaves a pool it was given alone
      await pool.end();
    },
  };
}

if (isMain(import.meta.url)) await runExample('Prisma on PostgreSQL', 'postgresql', createShop);
