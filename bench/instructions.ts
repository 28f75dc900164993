/**
 * `npm run bench:instructions`: the client's CPU cost per statement, failover-pool against the raw
 * driver pool on the same primary, counted in instructions by valgrind's callgrind. Throughput on a
 * machine shared with its database servers moves by several percent from run to run; instruction
 * counts of the same program and inputs do not. Each side runs SELECT 1 through a pool of 10 (one
 * caller unless --callers), N1 and then N2 statements after the same warm-up: (count(N2) - count(N1)) / (N2 - N1)
 * is what one statement costs, start-up and warm-up cancelled out. See docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ChildSpec, instructionsOf } from './instructions/count';
import { mariadbUnavailable, withMariadbCluster } from './lib/mariadb-cluster';
import { withPgCluster } from './lib/pg-cluster';
import { textTable } from './lib/table';
import { MYSQL_SETUP, PG_SETUP } from './overhead/workloads';
import { REPO_ROOT } from './peers/paths';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    smoke: { type: 'boolean', default: false },
    n1: { type: 'string' },
    n2: { type: 'string' },
    callers: { type: 'string' },
    pair: { type: 'string', multiple: true },
  },
});
/**
 * One caller by default: with several, how many replies a socket read brings depends on timing (the
 * client runs fifty times slower under valgrind than the servers), and so does the count.
 */
const callers = Number(values.callers ?? 1);
const wanted = (title: string) => !values.pair?.length || values.pair.some((p) => title.includes(p));
const n1 = Number(values.n1 ?? (values.smoke ? 200 : 4_000));
const n2 = Number(values.n2 ?? (values.smoke ? 600 : 16_000));
if (!(n2 > n1 && n1 > 0)) throw new Error('--n2 must be greater than --n1, both positive.');

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('valgrind is not installed (Debian: apt-get install valgrind): nothing to count.');
  process.exit(0);
}

type Pair = Pick<ChildSpec, 'engine' | 'api'> & { readonly title: string };
const PAIRS: Record<ChildSpec['engine'], Pair[]> = {
  postgres: [{ engine: 'postgres', api: 'promise', title: 'pg.Pool vs createPgPool' }],
  mysql: [
    { engine: 'mysql', api: 'promise', title: 'mysql2/promise createPool vs createMysqlPromisePool' },
    { engine: 'mysql', api: 'callback', title: 'mysql2 createPool vs createMysqlPool (callback)' },
  ],
};

interface Row {
  readonly pair: string;
  readonly raw: number;
  readonly ours: number;
}

async function perStatement(
  pair: Pair,
  side: ChildSpec['side'],
  server: ChildSpec['server'],
): Promise<number> {
  const spec = { ...pair, side, callers, server, dist: join(REPO_ROOT, 'dist') };
  const first = await instructionsOf({ ...spec, statements: n1 });
  const second = await instructionsOf({ ...spec, statements: n2 });
  return (second - first) / (n2 - n1);
}

async function measure(pairs: Pair[], server: ChildSpec['server']): Promise<Row[]> {
  const rows: Row[] = [];
  for (const pair of pairs.filter((p) => wanted(p.title))) {
    const raw = await perStatement(pair, 'raw', server);
    const ours = await perStatement(pair, 'ours', server);
    console.log(
      `  ${pair.title}: raw ${Math.round(raw)}, ours ${Math.round(ours)} instructions per statement`,
    );
    rows.push({ pair: pair.title, raw, ours });
  }
  return rows;
}

const serverOf = (cluster: {
  connectionOptions: { hosts: string[]; user: string; password: string; database: string };
  primary: string;
  node(name: string): { port: number };
}): ChildSpec['server'] => ({
  ...cluster.connectionOptions,
  primaryPort: cluster.node(cluster.primary).port,
});

console.log(
  `Instructions per statement (callgrind), SELECT 1, ${callers} caller(s), pool of 10, N ${n1} -> ${n2}`,
);
const rows: Row[] = [];
rows.push(...(await withPgCluster({ replicas: 2 }, PG_SETUP, (c) => measure(PAIRS.postgres, serverOf(c)))));
const noMariadb = mariadbUnavailable();
if (noMariadb) console.log(`Skipping MariaDB: ${noMariadb}`);
else
  rows.push(
    ...(await withMariadbCluster({ replicas: 2 }, MYSQL_SETUP, (c) => measure(PAIRS.mysql, serverOf(c)))),
  );

console.log();
console.log(
  textTable(
    ['pair', 'raw instr/stmt', 'ours instr/stmt', 'added', 'ours/raw'],
    rows.map((r) => [
      r.pair,
      String(Math.round(r.raw)),
      String(Math.round(r.ours)),
      String(Math.round(r.ours - r.raw)),
      (r.ours / r.raw).toFixed(3),
    ]),
  ),
);
