/**
 * Prisma ORM 7 with its read-replicas extension on PostgreSQL, through failover-pool:
 * `npx tsx examples/prisma-replicas-pg.ts`.
 *
 * `@prisma/extension-read-replicas` (0.5, the version for Prisma 7) takes replica clients, each a
 * PrismaClient of its own. Here the primary client's adapter is given failover-pool's pool and the
 * replica client's adapter `pool.reader()`, a pg.Pool whose statements read from the replicas: the
 * extension sends reads outside a transaction (findUnique, findMany, count...) to the replica
 * client, and the pool picks a replica within `reads.maxLagMs`, skips a dead or lagging one, and
 * reads from the primary when none is left. Writes and transactions stay on the primary client.
 * One replica client is enough: the pool spreads its reads over every replica, and follows the
 * cluster through a failover (a list of one client per replica host would not).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { readReplicas } from '@prisma/extension-read-replicas';
import type { PoolMetricsSnapshot } from 'failover-pool';
import { createPgPool } from 'failover-pool/pg';
import { PrismaClient } from './prisma/generated/client';
import { isMain, runExample } from './shop/run';
import { OutOfStockError, type Shop, type ShopConfig } from './shop/shop';

/** The shop, and where its reads went (the pool's count), for the run's printout and the test. */
export interface ReplicaShop extends Shop {
  replicaReads(): PoolMetricsSnapshot['replicaReads'];
}

export async function createShop({ sku, ...connection }: ShopConfig): Promise<ReplicaShop> {
  const pool = createPgPool({ ...connection, max: 10 });
  const primary = new PrismaClient({
    adapter: new PrismaPg(pool),
    // As in prisma-pg.ts: Prisma gives up starting an interactive transaction after maxWait (2 s by
    // default, P2028); wait as long as failover-pool waits for a new primary instead.
    transactionOptions: { maxWait: 30_000 },
  });
  const replica = new PrismaClient({ adapter: new PrismaPg(pool.reader()) });
  const prisma = primary.$extends(readReplicas({ replicas: [replica] }));
  return {
    async checkout(orderId) {
      // The product page: a read, sent to a replica by the extension. A replica may be a little
      // behind, so the stock shown is only a hint; the transaction below decides on the primary.
      const shown = await prisma.product.findUnique({ where: { sku }, select: { stock: true } });
      if (!shown || shown.stock <= 0) throw new OutOfStockError(sku);
      // Interactive transactions run on the primary client (the extension never routes them).
      await prisma.$transaction(async (tx) => {
        const taken = await tx.product.updateMany({
          where: { sku, stock: { gt: 0 } },
          data: { stock: { decrement: 1 } },
        });
        if (taken.count !== 1) throw new OutOfStockError(sku);
        await tx.order.create({ data: { orderRef: BigInt(orderId), sku } });
      });
    },
    replicaReads: () => pool.metrics().replicaReads,
    async close() {
      await prisma.$disconnect(); // both clients; each leaves the pool it was given alone
      await pool.end();
    },
  };
}

if (isMain(import.meta.url)) {
  await runExample('Prisma with read replicas on PostgreSQL', 'postgresql', async (config) => {
    const shop = await createShop(config);
    return {
      ...shop,
      async close() {
        const { replica, primary } = shop.replicaReads();
        console.log(
          `  product pages read by a replica: ${replica}; by the primary: ${JSON.stringify(primary)}`,
        );
        await shop.close();
      },
    };
  });
}
