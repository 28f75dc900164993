/**
 * `npm run bench:orms`: what each ORM of examples/ shows its app through a kill -9 of the primary
 * (a replica promoted 500 ms later, as an operator would) and through a planned switchover, beside
 * failover-pool's raw pools with no ORM, measured in the same run. Each run is one example's own
 * shop on a fresh 3-node cluster with synchronous replication, one order every ~10 ms, driven by
 * the examples' loop (examples/shop/run.ts). Per ORM x engine x fault: the medians over the trials
 * of the gap (the longest time without an acknowledged order), the errors the app saw by code,
 * the orders lost and duplicated; and the ratio of the ORM's gap to the raw pool's.
 *
 * Like the examples, it loads the library by its package name, which tsconfig.json maps to src/
 * (run through tsx): the figures are failovers of hundreds of milliseconds, where what the build
 * saves per statement (bench/lib/built-package.ts) does not show.
 */
import { parseArgs } from 'node:util';
import { createShop as drizzleMysql } from '../examples/drizzle-mysql';
import { createShop as drizzlePg } from '../examples/drizzle-pg';
import { createShop as knexMysql } from '../examples/knex-mysql';
import { createShop as knexPg } from '../examples/knex-pg';
import { createShop as kyselyMysql } from '../examples/kysely-mysql';
import { createShop as kyselyPg } from '../examples/kysely-pg';
import { createShop as prismaPg } from '../examples/prisma-pg';
import { createShop as sequelizeMysql } from '../examples/sequelize-mysql';
import { createShop as sequelizePg } from '../examples/sequelize-pg';
import {
  DEFAULT_TIMING,
  type Fault,
  type FaultResult,
  runThroughFault,
  startShopCluster,
} from '../examples/shop/run';
import type { CreateShop, Engine } from '../examples/shop/shop';
import { createShop as typeormMysql } from '../examples/typeorm-mysql';
import { createShop as typeormPg } from '../examples/typeorm-pg';
import { describeMachine, machineInfo } from './lib/machine';
import { mariadbUnavailable } from './lib/mariadb-cluster';
import { median } from './lib/stats';
import { textTable } from './lib/table';
import { createRawMysqlShop, createRawPgShop } from './orms/baseline';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    trials: { type: 'string' },
    // Names from the table's "ORM" column, comma-separated (the raw pool always runs: it is the baseline).
    orms: { type: 'string' },
    // --smoke: one short trial of the raw pool and Knex per engine, so that `npm test` checks the script runs.
    smoke: { type: 'boolean', default: false },
    // Accepted for the smoke test's sake, as the other benches take it; this one writes no report.
    out: { type: 'string' },
  },
});
const trials = Number(values.trials ?? (values.smoke ? 1 : 3));
if (!Number.isInteger(trials) || trials < 1) throw new Error('--trials must be a positive whole number.');
const timing = values.smoke ? { ...DEFAULT_TIMING, beforeMs: 500, afterMs: 600 } : DEFAULT_TIMING;

const BASELINE = 'raw pool';
const ORMS: { name: string; shops: Partial<Record<Engine, CreateShop>> }[] = [
  { name: BASELINE, shops: { postgresql: createRawPgShop, mariadb: createRawMysqlShop } },
  { name: 'Knex', shops: { postgresql: knexPg, mariadb: knexMysql } },
  { name: 'Kysely', shops: { postgresql: kyselyPg, mariadb: kyselyMysql } },
  { name: 'Drizzle', shops: { postgresql: drizzlePg, mariadb: drizzleMysql } },
  { name: 'TypeORM', shops: { postgresql: typeormPg, mariadb: typeormMysql } },
  { name: 'Sequelize', shops: { postgresql: sequelizePg, mariadb: sequelizeMysql } },
  { name: 'Prisma', shops: { postgresql: prismaPg } },
];
const chosen = (values.orms ?? (values.smoke ? 'knex' : '')).toLowerCase().split(',').filter(Boolean);
const orms = ORMS.filter(
  (orm) => orm.name === BASELINE || chosen.length === 0 || chosen.includes(orm.name.toLowerCase()),
);
const FAULTS: readonly Fault[] = ['kill', 'switchover'];
const FAULT_NAMES: Record<Fault, string> = { kill: 'kill -9 + promotion', switchover: 'switchover' };
const ENGINE_NAMES: Record<Engine, string> = { postgresql: 'PostgreSQL', mariadb: 'MariaDB' };

/** One run: the ORM's shop on a fresh cluster through the fault; the cluster is destroyed whatever happens. */
async function trial(engine: Engine, createShop: CreateShop, fault: Fault): Promise<FaultResult> {
  const sku = 'mug';
  const cluster = await startShopCluster(engine, [sku]);
  try {
    const shop = await createShop({ ...cluster.connectionOptions, sku });
    try {
      return await runThroughFault({ cluster, engine, shop, sku, fault, timing });
    } finally {
      await shop.close();
    }
  } finally {
    await cluster.destroy();
  }
}

/** `CODE median (total n)` for every code seen in any trial. */
function errorsCell(results: readonly FaultResult[]): string {
  const codes = [...new Set(results.flatMap((r) => Object.keys(r.errors)))].sort();
  return (
    codes
      .map((code) => {
        const counts = results.map((r) => r.errors[code] ?? 0);
        return `${code} ${median(counts)} (total ${counts.reduce((a, b) => a + b, 0)})`;
      })
      .join(', ') || '-'
  );
}

const engines: Engine[] = ['postgresql', ...(mariadbUnavailable() ? [] : (['mariadb'] as const))];
if (engines.length === 1) console.log(`MariaDB skipped: ${mariadbUnavailable()}`);
console.log(describeMachine(machineInfo()));
console.log(
  `${trials} trial(s); orders every ${timing.paceMs} ms for ${timing.beforeMs} ms before the fault and ` +
    `at least ${timing.afterMs} ms after it; kill -9: promotion ${timing.promoteAfterMs} ms after the crash.\n`,
);

const results = new Map<string, FaultResult[]>();
const key = (engine: Engine, orm: string, fault: Fault) => `${engine}/${orm}/${fault}`;
let failures = 0;
for (const engine of engines) {
  for (let i = 1; i <= trials; i++) {
    for (const fault of FAULTS) {
      // Every ORM in turn within a trial, the baseline first: a drift of the machine weighs on all alike.
      for (const orm of orms) {
        const createShop = orm.shops[engine];
        if (!createShop) continue;
        const label = `${ENGINE_NAMES[engine]} ${orm.name}, ${FAULT_NAMES[fault]} #${i}`;
        try {
          const result = await trial(engine, createShop, fault);
          results.set(key(engine, orm.name, fault), [
            ...(results.get(key(engine, orm.name, fault)) ?? []),
            result,
          ]);
          console.log(
            `${label}: gap ${result.longestGapMs} ms, errors ${errorsCell([result])}, ` +
              `lost ${result.lost.length}, duplicated ${result.duplicated.length}`,
          );
        } catch (error) {
          failures++;
          console.log(`${label}: FAILED: ${(error as Error).stack ?? String(error)}`);
        }
      }
    }
  }
}

const rows: string[][] = [];
const problems: string[] = [];
for (const engine of engines) {
  for (const fault of FAULTS) {
    const baseline = median((results.get(key(engine, BASELINE, fault)) ?? []).map((r) => r.longestGapMs));
    for (const orm of orms) {
      const runs = results.get(key(engine, orm.name, fault));
      if (!runs) continue;
      const gap = median(runs.map((r) => r.longestGapMs));
      rows.push([
        ENGINE_NAMES[engine],
        orm.name,
        FAULT_NAMES[fault],
        String(runs.length),
        String(Math.round(median(runs.map((r) => r.acknowledged)))),
        `${Math.round(gap)} ms`,
        (gap / baseline).toFixed(2),
        errorsCell(runs),
        String(median(runs.map((r) => r.lost.length))),
        String(median(runs.map((r) => r.duplicated.length))),
      ]);
      const lost = runs.reduce((n, r) => n + r.lost.length, 0);
      const duplicated = runs.reduce((n, r) => n + r.duplicated.length, 0);
      if (lost + duplicated > 0) {
        problems.push(
          `${ENGINE_NAMES[engine]} ${orm.name}, ${FAULT_NAMES[fault]}: ${lost} lost, ${duplicated} duplicated in all`,
        );
      }
    }
  }
}

console.log(
  "\nMedians over the trials. gap: the longest time without an acknowledged order; x raw: the ORM's gap " +
    "over the raw pool's (same engine, same fault, same run); errors: code, median per trial (total).\n",
);
console.log(
  textTable(
    ['engine', 'ORM', 'fault', 'trials', 'acked', 'gap', 'x raw', 'errors the app saw', 'lost', 'dup'],
    rows,
  ),
);
for (const problem of problems) console.log(`\n${problem}`);
if (failures + problems.length > 0) process.exitCode = 1;
