/**
 * The run through a failover that every example, the integration test (orm-examples.test.ts) and the
 * bench (bench/orms.ts) share: a shop keeps taking orders, one every ~10 ms, while the primary
 * crashes (kill -9, then a replica promoted as an operator or Patroni would) or hands over in a
 * planned switchover; then the database is compared with what the shop was told.
 */
import { realpathSync, statfsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { findFailoverError } from 'failover-pool';
import {
  createHistory,
  historyCheck,
  startMariadbCluster,
  startPgCluster,
  type TestCluster,
} from 'failover-pool/testing';
import {
  addProductSql,
  type CreateShop,
  type Engine,
  INITIAL_STOCK,
  orderRefsSql,
  SCHEMA,
  type Shop,
  stockSql,
} from './shop';

/** `kill`: kill -9 of the primary, then a promotion; `switchover`: a planned handover. */
export type Fault = 'kill' | 'switchover';

export interface Timing {
  /** Orders before the fault. */
  beforeMs: number;
  /** kill: how long the cluster has no primary before the promotion starts. */
  promoteAfterMs: number;
  /** Orders after the promotion or the switchover. */
  afterMs: number;
  /** One order starts this long after the previous one started (or when it ends, if slower). */
  paceMs: number;
}

export const DEFAULT_TIMING: Timing = { beforeMs: 1_000, promoteAfterMs: 500, afterMs: 1_500, paceMs: 10 };

export interface FaultRun {
  cluster: TestCluster;
  engine: Engine;
  shop: Shop;
  /** The shop's product (its `ShopConfig.sku`): only its orders are checked. */
  sku: string;
  fault: Fault;
  /** The first order id; several runs on one cluster use distinct ranges. Default 1. */
  firstOrderId?: number;
  timing?: Partial<Timing>;
  /** Progress lines, as the run goes. */
  say?: (line: string) => void;
}

export interface FaultResult {
  fault: Fault;
  /** The primary before the fault, and after. */
  from: string;
  to: string;
  /** Orders the shop was told were placed. */
  acknowledged: number;
  /** Errors the shop saw, by failover-pool's code (found inside the ORM's wrapper), else the error's own code or name. */
  errors: Record<string, number>;
  /** Of the orders counted in `errors`, those that reached the database all the same. */
  errorsApplied: Record<string, number>;
  /** The first message seen for each key of `errors`. */
  errorExamples: Record<string, string>;
  /** Acknowledged, missing from the new primary. */
  lost: string[];
  /** In the database more than once. */
  duplicated: string[];
  /** Reported as certainly not placed, yet in the database. */
  failedButApplied: string[];
  /** Outcome unknown to the shop (WRITE_OUTCOME_UNKNOWN): how many had been placed, how many not. */
  unknownApplied: number;
  unknownNotApplied: number;
  /** Orders still running when the shop gave up waiting for them (every wait must be bounded). */
  hung: number;
  /** Orders acknowledged after the fault was over (the promotion or the switchover done). */
  acknowledgedAfter: number;
  /** The longest time without an acknowledged order, in ms (up to the end of the run when the shop never recovered). */
  longestGapMs: number;
  /**
   * Units of the product sold since the shop opened, and its order rows (this run's and earlier
   * runs'): equal when every checkout was atomic.
   */
  stockSold: number;
  orderRows: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long the shop waits for its last orders once it closes, before it calls them hung. */
const LAST_ORDERS_MS = 30_000;
/** How long the shop goes on after `afterMs`, at most, for its first order acknowledged after the fault. */
const RECOVERY_MS = 30_000;

/** The nodes still running, the primary first. */
const runningNodes = (cluster: TestCluster) =>
  cluster.nodes
    .filter((node) => node.pid !== undefined)
    .map((node) => node.name)
    .sort((a, b) => Number(b === cluster.primary) - Number(a === cluster.primary));

/**
 * Injects the fault as a failover manager would handle it. kill: every process of the primary is
 * killed; `promoteAfterMs` later, the replica that received the most is promoted (it holds every
 * commit a synchronous replica acknowledged) and the other replicas follow it. switchover: the
 * primary hands over to the most advanced replica without losing a write.
 */
async function inject(
  cluster: TestCluster,
  fault: Fault,
  timing: Timing,
  say: (line: string) => void,
): Promise<string> {
  const from = cluster.primary;
  const replicas = runningNodes(cluster).filter((name) => name !== from);
  if (fault === 'switchover') {
    const to = await cluster.mostAdvanced(replicas);
    say(`switchover: ${from} hands over to ${to}`);
    await cluster.switchover(to);
    return to;
  }
  cluster.kill(from, 'SIGKILL');
  say(`kill -9 ${from}, the primary (every process of it, as a machine crash would)`);
  await sleep(timing.promoteAfterMs);
  const to = await cluster.mostAdvanced(replicas);
  say(`promoting ${to}, the replica that received the most, as an operator or Patroni would`);
  await cluster.promote(to);
  for (const other of replicas.filter((name) => name !== to)) await cluster.repoint(other, to);
  say(`${to} is the primary; ${replicas.filter((name) => name !== to).join(', ') || 'no node'} follows it`);
  return to;
}

/** The key an error is counted under: the pool's code, even when the ORM wrapped the error. */
export function errorKey(error: unknown): string {
  const ours = findFailoverError(error);
  if (ours) return ours.code;
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return typeof code === 'string' ? code : typeof name === 'string' ? name : String(error);
}

/** The longest interval without an acknowledged order, from the first acknowledged order to `endedAt`. */
function longestGap(acknowledgedAt: number[], endedAt: number): number {
  const times = [...acknowledgedAt].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i <= times.length; i++) {
    const previous = times[i - 1] as number;
    longest = Math.max(longest, (times[i] ?? endedAt) - previous);
  }
  return Math.round(longest);
}

/** Runs the shop through one fault on `cluster` and checks what reached the database. */
export async function runThroughFault(run: FaultRun): Promise<FaultResult> {
  const timing = { ...DEFAULT_TIMING, ...run.timing };
  const say = run.say ?? (() => undefined);
  const { cluster, shop } = run;
  const history = createHistory();
  // The pool's errors say whether the order may have been placed, wherever the ORM put them.
  const outcomeOf = (error: unknown) => historyCheck.defaultOutcomeOf(findFailoverError(error) ?? error);

  let open = true;
  let nextId = run.firstOrderId ?? 1;
  const shopper = (async () => {
    while (open) {
      const started = performance.now();
      const id = nextId++;
      await history.attempt(id, () => shop.checkout(id), { outcomeOf });
      await sleep(timing.paceMs - (performance.now() - started));
    }
  })();

  const from = cluster.primary;
  let to: string;
  let overAt: number;
  try {
    await sleep(timing.beforeMs);
    to = await inject(cluster, run.fault, timing, say);
    overAt = performance.now();
    await sleep(timing.afterMs);
    // A slow machine may take longer to recover: the shop goes on until it has taken an order again.
    const recovered = () => history.ops().some((op) => op.outcome === 'ok' && op.start >= overAt);
    for (const giveUpAt = performance.now() + RECOVERY_MS; !recovered() && performance.now() < giveUpAt; ) {
      await sleep(50);
    }
  } finally {
    open = false; // also when the fault could not be injected: the shopper must not outlive the run
  }
  const closedAt = performance.now();
  // Bounded: an order that never ends is counted as hung instead of stopping the run.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([shopper, new Promise((resolve) => (timer = setTimeout(resolve, LAST_ORDERS_MS)))]);
  clearTimeout(timer);

  const query = (sql: string) => cluster.query(cluster.primary, sql, [run.sku], { as: 'app' });
  const rows = await query(orderRefsSql(run.engine));
  const [stock] = await query(stockSql(run.engine));
  // This run's orders: earlier runs of the same shop used lower ids.
  const ids = rows.map((row) => Number(row.order_ref)).filter((id) => id >= (run.firstOrderId ?? 1));
  const result = history.check(ids);
  const applied = new Set(result.unknown.applied.concat(result.failedButApplied));

  const errors: Record<string, number> = {};
  const errorsApplied: Record<string, number> = {};
  const errorExamples: Record<string, string> = {};
  for (const op of history.ops()) {
    if (op.outcome === undefined || op.outcome === 'ok') continue;
    const key = errorKey(op.error);
    errors[key] = (errors[key] ?? 0) + 1;
    errorsApplied[key] = (errorsApplied[key] ?? 0) + Number(applied.has(String(op.id)));
    errorExamples[key] ??= op.error instanceof Error ? op.error.message : String(op.error);
  }
  const acknowledged = history.ops().filter((op) => op.outcome === 'ok');
  const acknowledgedAt = acknowledged.map((op) => op.end as number);
  return {
    fault: run.fault,
    from,
    to,
    acknowledged: result.counts.ok,
    errors,
    errorsApplied,
    errorExamples,
    lost: result.lost,
    duplicated: result.duplicates.map((d) => d.id),
    failedButApplied: result.failedButApplied,
    unknownApplied: result.unknown.applied.length,
    unknownNotApplied: result.unknown.notApplied.length,
    hung: result.counts.pending,
    acknowledgedAfter: acknowledged.filter((op) => op.start >= overAt).length,
    longestGapMs: longestGap(acknowledgedAt, Math.max(closedAt, ...acknowledgedAt)),
    stockSold: INITIAL_STOCK - Number(stock?.stock),
    orderRows: rows.length,
  };
}

/** Test clusters on /dev/shm where it has room: several times faster to create than in /tmp. */
function tmpDir(): string | undefined {
  if (process.env.FAILOVER_POOL_TMPDIR) return undefined; // the harness reads it itself
  try {
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize > 2 * 1024 ** 3 ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 3-node cluster of `engine` with synchronous replication (so that no acknowledged order can be
 * lost), the shop's tables, and one product per sku in `skus`. The caller destroys it.
 */
export async function startShopCluster(engine: Engine, skus: readonly string[]): Promise<TestCluster> {
  const options = { replicas: 2, replication: 'sync', tmpDir: tmpDir() } as const;
  const cluster =
    engine === 'postgresql' ? await startPgCluster(options) : await startMariadbCluster(options);
  try {
    const asApp = { as: 'app' } as const;
    for (const sql of SCHEMA[engine]) await cluster.query(cluster.primary, sql, [], asApp);
    for (const sku of skus) await cluster.query(cluster.primary, addProductSql(engine), [sku], asApp);
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

/** True when `moduleUrl` is the script node was started with (`npx tsx examples/knex-pg.ts`). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(realpathSync(script)).href;
}

/** The figures of a run, for people. */
export function formatResult(result: FaultResult): string {
  const errors = Object.entries(result.errors)
    .map(([key, count]) => `${key} x${count}`)
    .join(', ');
  const messages = Object.entries(result.errorExamples).map(([key, message]) => [
    '',
    `${key}: ${message.replace(/\s+/g, ' ').slice(0, 140)}`,
  ]);
  const unknown = result.unknownApplied + result.unknownNotApplied;
  const lines = [
    ['orders acknowledged', String(result.acknowledged)],
    ['errors the app saw', errors || 'none'],
    ...messages,
    ...(unknown > 0
      ? [['', `outcome unknown: ${result.unknownApplied} had been placed, ${result.unknownNotApplied} not`]]
      : []),
    ['lost', String(result.lost.length)],
    ['duplicated', String(result.duplicated.length)],
    ...(result.failedButApplied.length > 0
      ? [['failed, yet placed', String(result.failedButApplied.length)]]
      : []),
    ...(result.hung > 0 ? [['hung', String(result.hung)]] : []),
    ['longest gap', `${result.longestGapMs} ms between two acknowledged orders`],
    ['stock', `${result.stockSold} units sold, ${result.orderRows} order rows`],
  ];
  return lines.map(([label, value]) => `  ${(label ?? '').padEnd(22)}${value}`).join('\n');
}

/**
 * What an example does when run directly: starts its own 3-node cluster, opens the shop on it,
 * runs it through a kill -9 of the primary (or, with `--switchover`, a planned switchover), prints
 * what the shop saw, and stops the cluster, also on failure.
 */
export async function runExample(title: string, engine: Engine, createShop: CreateShop): Promise<void> {
  const { values } = parseArgs({ options: { switchover: { type: 'boolean', default: false } } });
  const fault: Fault = values.switchover ? 'switchover' : 'kill';
  const started = performance.now();
  const say = (line: string) =>
    console.log(`  ${((performance.now() - started) / 1000).toFixed(2)}s  ${line}`);
  const sku = 'mug';

  console.log(
    `\n${title}: a shop keeps taking orders through a ${fault === 'kill' ? 'crash' : 'switchover'}\n`,
  );
  const cluster = await startShopCluster(engine, [sku]);
  try {
    say(`${cluster.description}: node1 primary, node2 and node3 replicas (synchronous)`);
    const shop = await createShop({ ...cluster.connectionOptions, sku });
    let result: FaultResult;
    try {
      say('the shop opens: one order every ~10 ms');
      result = await runThroughFault({ cluster, engine, shop, sku, fault, say });
      say('the shop closes');
    } finally {
      await shop.close();
    }
    console.log(`\nWhat the shop saw\n${formatResult(result)}\n`);
    if (result.lost.length + result.duplicated.length + result.hung > 0) process.exitCode = 1;
  } finally {
    await cluster.destroy();
  }
}
