/**
 * `npm run bench:hung`: how long the app's calls last when the primary freezes with its connections
 * open (SIGSTOP: a stopped VM) and nobody promotes, with no statement timeout set. Per trial, on a
 * fresh 3-node cluster: 4 writes in flight (each takes 1 s on the server), a pinned client's write
 * and a `pool.transaction` in flight, 2 callers arriving 0.5 s after the freeze; the node wakes after
 * FROZEN_MS. Measured for failover-pool as it is, and for the same pool with the abandonment turned
 * off (`failover.abandonAfterMs` 10 minutes: the behaviour before it, and a driver pool's with no
 * statement timeout), alternately in one run. Medians over the trials, and their ratio. See
 * docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import type { TestCluster } from '../src/testing';
import { builtMysql2, builtPg } from './lib/built-package';
import { describeMachine, machineInfo } from './lib/machine';
import { mariadbUnavailable, withMariadbCluster } from './lib/mariadb-cluster';
import { withPgCluster } from './lib/pg-cluster';
import { median } from './lib/stats';
import { textTable } from './lib/table';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    trials: { type: 'string' },
    // --smoke: one short trial per engine, so that `npm test` checks the script still runs.
    smoke: { type: 'boolean', default: false },
    // Accepted for the smoke test's sake, as the other benches take it; this one writes no report.
    out: { type: 'string' },
  },
});
const trials = Number(values.trials ?? (values.smoke ? 1 : 3));
if (!Number.isInteger(trials) || trials < 1) throw new Error('--trials must be a positive whole number.');

const WAIT_FOR_PRIMARY_MS = 3_000;
const FROZEN_MS = values.smoke ? 5_000 : 8_000;
const OFF_MS = 600_000;
const SETUP = ['CREATE TABLE writes (id BIGINT NOT NULL)'];

/** What one engine's pool is asked in a trial, whatever the driver. */
interface TrialPool {
  write(id: number, slowSeconds?: number): Promise<unknown>;
  pinnedWrite(id: number): Promise<unknown>;
  transaction(id: number): Promise<unknown>;
  end(): Promise<void>;
}

interface Engine {
  readonly name: string;
  withCluster<T>(use: (cluster: TestCluster) => Promise<T>): Promise<T>;
  pool(cluster: TestCluster, abandonAfterMs: number | undefined): Promise<TrialPool>;
}

const failover = (abandonAfterMs: number | undefined) => ({
  waitForPrimaryMs: WAIT_FOR_PRIMARY_MS,
  ...(abandonAfterMs === undefined ? {} : { abandonAfterMs }),
});

const postgres: Engine = {
  name: 'PostgreSQL',
  withCluster: (use) => withPgCluster({}, SETUP, use),
  async pool(cluster, abandonAfterMs) {
    const { createPgPool } = await builtPg();
    const pool = createPgPool({ ...cluster.connectionOptions, max: 10, failover: failover(abandonAfterMs) });
    const insert = (seconds: number) =>
      seconds > 0
        ? `INSERT INTO writes SELECT $1 FROM pg_sleep(${seconds})`
        : 'INSERT INTO writes VALUES ($1)';
    return {
      write: (id, seconds = 0) => pool.query(insert(seconds), [id]),
      async pinnedWrite(id) {
        const client = await pool.connect();
        try {
          await client.query(insert(1), [id]);
        } finally {
          client.release(true);
        }
      },
      transaction: (id) => pool.transaction((tx) => tx.query(insert(1), [id])),
      end: () => pool.end(),
    };
  },
};

const mariadb: Engine = {
  name: 'MariaDB',
  withCluster: (use) => withMariadbCluster({}, SETUP, use),
  async pool(cluster, abandonAfterMs) {
    const { createMysqlPromisePool } = await builtMysql2();
    const pool = createMysqlPromisePool({
      ...cluster.connectionOptions,
      connectionLimit: 10,
      failover: failover(abandonAfterMs),
    });
    const insert = (seconds: number) =>
      seconds > 0
        ? `INSERT INTO writes SELECT ? FROM (SELECT SLEEP(${seconds})) AS s`
        : 'INSERT INTO writes VALUES (?)';
    return {
      write: (id, seconds = 0) => pool.query(insert(seconds), [id]),
      async pinnedWrite(id) {
        const connection = await pool.getConnection();
        try {
          await connection.query(insert(1), [id]);
        } finally {
          connection.release();
        }
      },
      transaction: (id) => pool.transaction((tx) => tx.query(insert(1), [id])),
      end: () => pool.end(),
    };
  },
};

interface TrialFigures {
  /** The longest call, from its start to its end. */
  readonly longestMs: number;
  /** From SIGCONT to the first acknowledged write. */
  readonly firstWriteMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const timed = async (call: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await call().catch(() => undefined);
  return performance.now() - started;
};

async function trial(engine: Engine, abandonAfterMs: number | undefined): Promise<TrialFigures> {
  return engine.withCluster(async (cluster) => {
    const pool = await engine.pool(cluster, abandonAfterMs);
    try {
      await Promise.all([1, 2, 3, 4].map((id) => pool.write(id)));
      const calls = [
        ...[11, 12, 13, 14].map((id) => timed(() => pool.write(id, 1))),
        timed(() => pool.pinnedWrite(15)),
        timed(() => pool.transaction(16)),
      ];
      await sleep(200);
      cluster.kill(cluster.primary, 'SIGSTOP');
      try {
        await sleep(500);
        calls.push(...[17, 18].map((id) => timed(() => pool.write(id))));
        await sleep(FROZEN_MS - 500);
      } finally {
        cluster.kill(cluster.primary, 'SIGCONT');
      }
      const woke = performance.now();
      let firstWriteMs = Number.POSITIVE_INFINITY;
      for (let id = 100; performance.now() - woke < 30_000; id++) {
        if (
          (await pool.write(id).then(
            () => true,
            () => false,
          )) === true
        ) {
          firstWriteMs = performance.now() - woke;
          break;
        }
        await sleep(10);
      }
      return { longestMs: Math.max(...(await Promise.all(calls))), firstWriteMs };
    } finally {
      await pool.end();
    }
  });
}

const rows: string[][] = [];
const engines = [postgres, ...(mariadbUnavailable() ? [] : [mariadb])];
if (engines.length === 1) console.log(`MariaDB skipped: ${mariadbUnavailable()}`);
console.log(describeMachine(machineInfo()));
for (const engine of engines) {
  const ours: TrialFigures[] = [];
  const off: TrialFigures[] = [];
  for (let i = 1; i <= trials; i++) {
    // Alternately, so that a drift of the machine during the run weighs on both alike.
    ours.push(await trial(engine, undefined));
    off.push(await trial(engine, OFF_MS));
    const [a, b] = [ours.at(-1) as TrialFigures, off.at(-1) as TrialFigures];
    console.log(
      `${engine.name} #${i}: longest call ${Math.round(a.longestMs)} ms (abandonment off: ${Math.round(b.longestMs)} ms)`,
    );
  }
  const longest = median(ours.map((t) => t.longestMs));
  const longestOff = median(off.map((t) => t.longestMs));
  rows.push([
    engine.name,
    String(trials),
    `${Math.round(longest)} ms`,
    `${Math.round(longestOff)} ms`,
    (longest / longestOff).toFixed(2),
    `${Math.round(median(ours.map((t) => t.firstWriteMs)))} ms`,
    `${Math.round(median(off.map((t) => t.firstWriteMs)))} ms`,
  ]);
}
console.log(
  `\nPrimary SIGSTOPped for ${FROZEN_MS} ms, nobody promoting, no statement timeout, ` +
    `failover.waitForPrimaryMs ${WAIT_FOR_PRIMARY_MS}; medians over ${trials} trials each.\n`,
);
console.log(
  textTable(
    [
      'engine',
      'trials',
      'longest call',
      'longest, abandonment off',
      'ratio',
      'first write after wake',
      'same, abandonment off',
    ],
    rows,
  ),
);
