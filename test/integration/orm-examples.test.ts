import { describe, expect, it } from 'vitest';
import { createShop as drizzleMysql } from '../../examples/drizzle-mysql';
import { createShop as drizzlePg } from '../../examples/drizzle-pg';
import { createShop as knexMysql } from '../../examples/knex-mysql';
import { createShop as knexPg } from '../../examples/knex-pg';
import { createShop as kyselyMysql } from '../../examples/kysely-mysql';
import { createShop as kyselyPg } from '../../examples/kysely-pg';
import { createShop as prismaPg } from '../../examples/prisma-pg';
import { createShop as sequelizeMysql } from '../../examples/sequelize-mysql';
import { createShop as sequelizePg } from '../../examples/sequelize-pg';
import { type FaultResult, runThroughFault, startShopCluster, type Timing } from '../../examples/shop/run';
import type { CreateShop, Engine } from '../../examples/shop/shop';
import { createShop as typeormMysql } from '../../examples/typeorm-mysql';
import { createShop as typeormPg } from '../../examples/typeorm-pg';
import { harness } from '../../src/testing';
import { mariadbUnavailable } from './support/mariadb-fixture';
import { skipOrFail } from './support/required-servers';
import { endedAfterEach } from './support/resources';

/**
 * Every program in examples/ is documentation that must stay true: each example's shop (its own
 * code, imported) takes an order every ~10 ms on a real 3-node cluster with synchronous replication
 * through a planned switchover, then, on the same cluster and with the same shop, through a kill -9
 * of the new primary and the promotion of a replica. Nothing acknowledged may be lost, nothing
 * placed twice, every checkout must be atomic (stock sold = order rows), and every error the app
 * saw must be one docs/orms.md allows: a transaction caught by a failover fails with
 * NODE_UNAVAILABLE (nothing applied) or WRITE_OUTCOME_UNKNOWN (its COMMIT was in flight).
 * One cluster per example: a PostgreSQL node killed cannot rejoin without pg_rewind, and a fresh
 * cluster on /dev/shm starts in under a second.
 */
const EXAMPLES: { name: string; engine: Engine; createShop: CreateShop }[] = [
  { name: 'knex-pg', engine: 'postgresql', createShop: knexPg },
  { name: 'kysely-pg', engine: 'postgresql', createShop: kyselyPg },
  { name: 'drizzle-pg', engine: 'postgresql', createShop: drizzlePg },
  { name: 'typeorm-pg', engine: 'postgresql', createShop: typeormPg },
  { name: 'sequelize-pg', engine: 'postgresql', createShop: sequelizePg },
  { name: 'prisma-pg', engine: 'postgresql', createShop: prismaPg },
  { name: 'knex-mysql', engine: 'mariadb', createShop: knexMysql },
  { name: 'kysely-mysql', engine: 'mariadb', createShop: kyselyMysql },
  { name: 'drizzle-mysql', engine: 'mariadb', createShop: drizzleMysql },
  { name: 'typeorm-mysql', engine: 'mariadb', createShop: typeormMysql },
  { name: 'sequelize-mysql', engine: 'mariadb', createShop: sequelizeMysql },
];

/** What docs/orms.md ("Transactions") says a transaction caught by a failover may fail with. */
const DOCUMENTED = ['NODE_UNAVAILABLE', 'WRITE_OUTCOME_UNKNOWN'];

/**
 * Errors an ORM raises in place of the pool's, as docs/orms.md lists them. TypeORM's PostgreSQL
 * query runner listens for the client's 'error' event, which pg emits on a checked-out client
 * whose connection dies, and releases itself then: the transaction's next statement throws
 * QueryRunnerAlreadyReleasedError before anything is sent, with no cause attached. The docs say
 * nothing of such a transaction was committed: checked below for every order it hit.
 */
const ORM_OWN_ERRORS: Record<string, readonly string[]> = {
  'typeorm-pg': ['QueryRunnerAlreadyReleasedError'],
};

/** Shorter than an example's own run: 11 examples x 2 faults. */
const TIMING: Partial<Timing> = { beforeMs: 600, afterMs: 800 };

/** The checks of one run, as soft expectations: every failure of every run is reported. */
function expectSound(name: string, result: FaultResult): void {
  const label = `${name}, ${result.fault} ${result.from} -> ${result.to}`;
  const errors = Object.keys(result.errors);
  const tolerated = [...DOCUMENTED, ...(ORM_OWN_ERRORS[name] ?? [])];
  console.log(
    `[orm-examples] ${label}: ${JSON.stringify({ ...result, lost: result.lost.length, duplicated: result.duplicated.length })}`,
  );
  expect.soft(result.lost, `${label}: acknowledged orders lost`).toEqual([]);
  expect.soft(result.duplicated, `${label}: orders placed twice`).toEqual([]);
  expect.soft(result.failedButApplied, `${label}: orders reported failed, yet placed`).toEqual([]);
  expect.soft(result.hung, `${label}: orders that never ended`).toBe(0);
  expect.soft(result.acknowledgedAfter, `${label}: orders taken after the fault`).toBeGreaterThan(0);
  expect.soft(result.stockSold, `${label}: stock sold = order rows`).toBe(result.orderRows);
  expect
    .soft(
      errors.filter((key) => !tolerated.includes(key)),
      `${label}: errors docs/orms.md does not allow (${JSON.stringify(result.errorExamples)})`,
    )
    .toEqual([]);
  for (const key of ORM_OWN_ERRORS[name] ?? []) {
    expect.soft(result.errorsApplied[key] ?? 0, `${label}: ${key} on an order that was placed`).toBe(0);
  }
}

/** Why `engine`'s clusters cannot start here (printed, or an error under FAILOVER_POOL_REQUIRE_SERVERS). */
function unavailable(engine: Engine): string | undefined {
  if (engine === 'mariadb') return mariadbUnavailable();
  const reason = harness.missingServer('postgresql');
  if (reason) skipOrFail('PostgreSQL (the ORM examples)', reason);
  return reason;
}

describe.each(['postgresql', 'mariadb'] as const)('the ORM examples on %s', (engine) => {
  const started = endedAfterEach();

  it.skipIf(unavailable(engine) !== undefined).each(EXAMPLES.filter((example) => example.engine === engine))(
    '$name: no order lost or doubled through a switchover, then a kill -9 of the primary',
    async ({ name, createShop }) => {
      const sku = name;
      const cluster = started.cluster(await startShopCluster(engine, [sku]));
      const shop = await createShop({ ...cluster.connectionOptions, sku });
      started.ends(() => shop.close());

      const run = { cluster, engine, shop, sku, timing: TIMING };
      expectSound(name, await runThroughFault({ ...run, fault: 'switchover', firstOrderId: 1 }));
      expectSound(name, await runThroughFault({ ...run, fault: 'kill', firstOrderId: 1_000_000 }));
    },
  );
});
