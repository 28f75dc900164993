import { PrismaPg } from '@prisma/adapter-pg';
import { readReplicas } from '@prisma/extension-read-replicas';
import { describe, expect, it } from 'vitest';
import { PrismaClient } from '../../examples/prisma/generated/client';
import { createShop } from '../../examples/prisma-replicas-pg';
import { runThroughFault, startShopCluster } from '../../examples/shop/run';
import type { ReadsOptions } from '../../src/core/reads/options';
import { createPgPool } from '../../src/drivers/pg';
import { type PgCluster, startPgCluster } from '../../src/testing';
import { clusterPorts, replicasMeasured } from './support/replica-nodes';
import { endedAfterEach } from './support/resources';
import { sleep } from './support/wait';

/**
 * Prisma's own read-replicas feature (`@prisma/extension-read-replicas`, docs/orms.md) over
 * failover-pool on a real 3-node PostgreSQL cluster: the primary client's adapter takes the pool,
 * the replica client's `pool.reader()`.
 *
 * To see which node served a read Prisma makes, the tables here are not the shop's: `products` is a
 * view whose `stock` is the port of the server that read it (`inet_server_port()`), and `orders`
 * records the port of the server that inserted each row in a column Prisma does not know
 * (`served_by`, a default). The generated client (examples/prisma/generated) reads them as the
 * shop's tables. A read sent to the wrong node therefore shows in its result, and so does a write.
 */
describe("Prisma's read-replicas extension over pool.reader() on PostgreSQL", () => {
  const started = endedAfterEach();
  const sku = 'mug';
  const TABLES = [
    `CREATE VIEW products AS SELECT '${sku}'::varchar(64) AS sku, inet_server_port() AS stock`,
    `CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, order_ref BIGINT NOT NULL, sku VARCHAR(64) NOT NULL,
       served_by INTEGER NOT NULL DEFAULT inet_server_port())`,
  ];

  async function setUp(reads?: ReadsOptions, prepare?: (cluster: PgCluster) => Promise<void>) {
    const cluster = started.cluster(await startPgCluster());
    for (const sql of TABLES) await cluster.query(cluster.primary, sql, [], { as: 'app' });
    await prepare?.(cluster);
    const pool = createPgPool({ ...cluster.connectionOptions, ...(reads && { reads }) });
    const primary = new PrismaClient({ adapter: new PrismaPg(pool) });
    const replica = new PrismaClient({ adapter: new PrismaPg(pool.reader()) });
    const prisma = primary.$extends(readReplicas({ replicas: [replica] }));
    // One step: the clients first, then the pool they were given (endedAfterEach runs steps at once).
    started.ends(async () => {
      await prisma.$disconnect();
      await pool.end();
    });
    await replicasMeasured(pool);
    return { cluster, pool, prisma, ...clusterPorts(cluster) };
  }

  /** The port the view reports: the server that ran the read. */
  const portOf = (product: { stock: number } | null) => product?.stock;

  it('sends the reads it routes to the replicas (both); writes, transactions, raw SQL and $primary() to the primary', async () => {
    const { cluster, prisma, primaryPort, replicaPorts } = await setUp();
    const where = { sku };
    // Every read operation the extension routes, twice: 14 reads, taken in turn by the two replicas.
    const reads = [
      async () => portOf(await prisma.product.findUnique({ where })),
      async () => portOf(await prisma.product.findUniqueOrThrow({ where })),
      async () => portOf(await prisma.product.findFirst({ where })),
      async () => portOf(await prisma.product.findFirstOrThrow({ where })),
      async () => portOf((await prisma.product.findMany({ where }))[0] ?? null),
      async () => (await prisma.product.aggregate({ where, _max: { stock: true } }))._max.stock ?? undefined,
      async () => (await prisma.product.groupBy({ by: ['stock'], where }))[0]?.stock,
    ];
    const served: (number | undefined)[] = [];
    for (const read of [...reads, ...reads]) served.push(await read());
    expect(served.filter((port) => !replicaPorts.includes(port as number))).toEqual([]);
    expect(new Set(served)).toEqual(new Set(replicaPorts));
    expect(await prisma.product.count({ where })).toBe(1);

    // The primary, for everything else.
    expect(portOf(await prisma.$primary().product.findUnique({ where }))).toBe(primaryPort);
    expect(portOf(await prisma.$transaction((tx) => tx.product.findUnique({ where })))).toBe(primaryPort);
    const [inBatch] = await prisma.$transaction([prisma.product.findUnique({ where })]);
    expect(portOf(inBatch)).toBe(primaryPort);
    const [raw] = await prisma.$queryRaw<{ port: number }[]>`SELECT inet_server_port() AS port`;
    expect(raw?.port).toBe(primaryPort);
    // ...unless sent to a replica on purpose.
    const [forced] = await prisma.$replica().$queryRaw<{ port: number }[]>`SELECT inet_server_port() AS port`;
    expect(replicaPorts).toContain(forced?.port);
    // A transaction cannot be spread over replicas: on the replica client it is refused before BEGIN
    // is sent, and Prisma passes the pool's error on as it is.
    await expect(
      prisma.$replica().$transaction((tx) => tx.product.findUnique({ where })),
    ).rejects.toMatchObject({
      code: 'CONFIG',
      option: 'pool.reader()',
    });

    // Writes: a create, a createMany, a write in a transaction; an update of each (a replica would
    // refuse it, SQLSTATE 25006, and the error would reach here).
    const created = await prisma.order.create({ data: { orderRef: 1n, sku } });
    await prisma.order.createMany({ data: [{ orderRef: 2n, sku }] });
    await prisma.$transaction(async (tx) => tx.order.create({ data: { orderRef: 3n, sku } }));
    expect(await prisma.order.updateMany({ data: { sku: 'cup' } })).toEqual({ count: 3 });
    expect(await prisma.order.update({ where: { id: created.id }, data: { sku } })).toMatchObject({ sku });
    const rows = await cluster.query(
      cluster.primary,
      'SELECT order_ref, served_by FROM orders ORDER BY order_ref',
      [],
      {
        as: 'app',
      },
    );
    expect(rows.map((row) => [Number(row.order_ref), row.served_by])).toEqual([
      [1, primaryPort],
      [2, primaryPort],
      [3, primaryPort],
    ]);
  });

  it('a replica killed under its reads costs no error; they go on on the other replica', async () => {
    const { cluster, prisma, replicaPorts } = await setUp();
    const [node2Port, node3Port] = replicaPorts as [number, number];
    const errors: unknown[] = [];
    const served = new Map<number | undefined, number>();
    let stop = false;
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const port = portOf(await prisma.product.findUnique({ where: { sku } }));
          served.set(port, (served.get(port) ?? 0) + 1);
        } catch (error) {
          errors.push(error);
        }
      }
    });
    await sleep(500);
    cluster.kill('node3', 'SIGKILL');
    await sleep(500);
    const before = served.get(node3Port) ?? 0;
    const node2Before = served.get(node2Port) ?? 0;
    await sleep(1_500);
    stop = true;
    await Promise.all(readers);
    expect(errors).toEqual([]);
    expect(before).toBeGreaterThan(0);
    // Nothing more from the dead node once it was dead, and the other replica took the reads.
    expect(served.get(node3Port) ?? 0).toBe(before);
    expect((served.get(node2Port) ?? 0) - node2Before).toBeGreaterThan(10);
  });

  it("carries no causal token (Prisma passes no per-statement option); the pool's token covers Prisma's writes", async () => {
    // Replicas 300 ms late, so that a read right after a write can miss it. The bounds are loose for
    // a busy machine: the replicas stay eligible, and a read `after` a token may wait for them.
    const { pool, prisma, replicaPorts } = await setUp(
      { maxLagMs: 2_000, causalWaitMs: 2_000 },
      async (c) => {
        for (const node of ['node2', 'node3']) {
          await c.query(node, "ALTER SYSTEM SET recovery_min_apply_delay = '300ms'");
          await c.query(node, 'SELECT pg_reload_conf()');
        }
      },
    );
    const rounds = 8;
    let missedByExtension = 0;
    let seenAfterToken = 0;
    let afterTokenOnReplica = 0;
    let seenOnPrimary = 0;
    for (let i = 1; i <= rounds; i++) {
      const orderRef = BigInt(i);
      await prisma.order.create({ data: { orderRef, sku } });
      // The extension's read: on a replica, which has not applied the write yet.
      if ((await prisma.order.findFirst({ where: { orderRef } })) === null) missedByExtension++;
      // The pool's token covers the write Prisma made through it; a read `after` it sees the row.
      const token = await pool.causalToken();
      const { rows } = await pool.query<{ port: number }>({
        text: 'SELECT inet_server_port() AS port FROM orders WHERE order_ref = $1',
        values: [i],
        readFrom: 'replica',
        after: token,
      });
      if (rows.length === 1) seenAfterToken++;
      if (replicaPorts.includes(rows[0]?.port as number)) afterTokenOnReplica++;
      // What an app does with Prisma alone: read its own writes from the primary.
      if ((await prisma.$primary().order.findFirst({ where: { orderRef } })) !== null) seenOnPrimary++;
    }
    console.log(
      `[prisma-replicas] ${rounds} rounds: the extension's read missed the write in ${missedByExtension}; ` +
        `read after the token: saw it in ${seenAfterToken}, ${afterTokenOnReplica} on a replica`,
    );
    expect(seenAfterToken).toBe(rounds);
    expect(seenOnPrimary).toBe(rounds);
    // The delay is real, and the extension's read went to a replica (the primary had the row).
    expect(missedByExtension).toBeGreaterThanOrEqual(rounds / 2);
    // Read-your-writes was kept by replicas, not by falling back to the primary.
    expect(afterTokenOnReplica).toBeGreaterThanOrEqual(rounds - 2);
  });

  it.each(['switchover', 'kill'] as const)(
    'examples/prisma-replicas-pg.ts: product pages read by replicas, no order lost or doubled through a %s',
    async (fault) => {
      const cluster = started.cluster(await startShopCluster('postgresql', [sku]));
      const shop = await createShop({ ...cluster.connectionOptions, sku });
      started.ends(() => shop.close());
      const result = await runThroughFault({
        cluster,
        engine: 'postgresql',
        shop,
        sku,
        fault,
        timing: { beforeMs: 600, afterMs: 800 },
      });
      const reads = shop.replicaReads();
      console.log(`[prisma-replicas] ${fault}: ${JSON.stringify({ ...result, reads })}`);
      expect({
        lost: result.lost,
        duplicated: result.duplicated,
        failedButApplied: result.failedButApplied,
        hung: result.hung,
        stockSold: result.stockSold,
      }).toEqual({ lost: [], duplicated: [], failedButApplied: [], hung: 0, stockSold: result.orderRows });
      expect(result.acknowledgedAfter).toBeGreaterThan(0);
      // Only what docs/orms.md allows a transaction caught by a failover (a read's error would show here too).
      expect(
        Object.keys(result.errors).filter(
          (key) => !['NODE_UNAVAILABLE', 'WRITE_OUTCOME_UNKNOWN'].includes(key),
        ),
      ).toEqual([]);
      // Every checkout reads its product page first: most of those reads were served by a replica.
      const pagesRead = reads.replica + Object.values(reads.primary).reduce((sum, n) => sum + n, 0);
      expect(pagesRead).toBeGreaterThanOrEqual(result.acknowledged);
      expect(reads.replica).toBeGreaterThanOrEqual(pagesRead * 0.8);
    },
  );
});
