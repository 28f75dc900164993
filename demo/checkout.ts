/**
 * `npm run demo`: a small shop keeps taking orders while its primary database crashes.
 *
 * Starts a real 3-node PostgreSQL cluster on loopback (synchronous replication to one standby),
 * runs shoppers placing orders through failover-pool, kills the primary with SIGKILL, promotes a
 * standby 500 ms later as Patroni or an operator would, and prints what the shop saw.
 */
import { statfsSync } from 'node:fs';
import { createPgPool } from '../src/drivers/pg';
import { createHistory, startPgCluster } from '../src/testing';

const SHOPPERS = 4;
const BEFORE_CRASH_MS = 2_000;
const PROMOTE_AFTER_MS = 500;
const AFTER_PROMOTION_MS = 2_500;
const BUCKET_MS = 250;

const started = performance.now();
const at = (time = performance.now()) => `${((time - started) / 1000).toFixed(2).padStart(5)}s`;
const say = (text: string, time?: number) => console.log(`  ${at(time)}  ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Test clusters on /dev/shm where it has room: much faster to create than in /tmp. */
function tmpDir(): string | undefined {
  try {
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize > 2 * 1024 ** 3 ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  console.log('\nfailover-pool demo: a shop keeps selling while its primary database crashes\n');
  const cluster = await startPgCluster({ replicas: 2, synchronous: true, tmpDir: tmpDir() });
  const name = (address: string) =>
    cluster.nodes.find((n) => address.endsWith(`:${n.port}`))?.name ?? address;
  try {
    console.log(
      `  PostgreSQL ${cluster.serverVersion} (${cluster.source}) on loopback: node1 primary, node2 and node3 ` +
        `standbys (node2 synchronous); up in ${(cluster.startupMs / 1000).toFixed(1)} s\n`,
    );
    const pool = createPgPool({ ...cluster.connectionOptions, max: 8 });
    let reruns = 0;
    pool.on('retry', () => reruns++);
    pool.on('nodeDown', (e) => say(`pool: ${name(e.node)} is down (${e.error.message})`));
    pool.on('primaryLost', (e) => say(`pool: primary ${name(e.from)} lost; orders wait for a new one`));
    pool.on('primaryChanged', (e) => {
      if (e.from === null) return;
      say(
        `pool: new primary ${name(e.to)}, found ${Math.round(e.detectedAfterMs ?? 0)} ms after ${name(e.from)} failed`,
      );
    });

    await pool.query('CREATE TABLE stock (sku text PRIMARY KEY, qty int NOT NULL)');
    await pool.query(
      'CREATE TABLE orders (id bigint PRIMARY KEY, sku text NOT NULL, total numeric NOT NULL)',
    );
    await pool.query("INSERT INTO stock VALUES ('mug', 1000000)");

    // One checkout = one statement: the stock decrement and the order commit together or not at all.
    const checkout = (id: number) =>
      pool.query(
        `WITH taken AS (UPDATE stock SET qty = qty - 1 WHERE sku = 'mug' AND qty > 0 RETURNING sku)
         INSERT INTO orders (id, sku, total) SELECT $1, sku, 12.50 FROM taken`,
        [id],
      );

    const history = createHistory();
    const errors = new Map<string, number>();
    let nextId = 1;
    let open = true;
    const shopper = async () => {
      while (open) {
        const id = nextId++;
        // failover-pool's errors say whether the order may have been placed (WriteOutcomeUnknownError)
        // or certainly was not (the others); the history records it so.
        const error = await history.attempt(id, () => checkout(id));
        if (error !== undefined) {
          const code = (error as { code?: string }).code ?? (error as Error).name;
          errors.set(code, (errors.get(code) ?? 0) + 1);
        }
      }
    };

    say(`shop opens: ${SHOPPERS} shoppers placing orders`);
    const shoppers = Array.from({ length: SHOPPERS }, shopper);
    const ticker = startTicker(history);

    await sleep(BEFORE_CRASH_MS);
    const crashAt = performance.now();
    cluster.kill('node1', 'SIGKILL');
    say('kill -9 node1, the primary (every process of it, as a machine crash would)', crashAt);
    await sleep(PROMOTE_AFTER_MS);
    const promotedAt = performance.now();
    // The standby that received the most, as Patroni picks it: it holds every acknowledged order.
    const next = await cluster.mostAdvanced(['node2', 'node3']);
    const other = next === 'node2' ? 'node3' : 'node2';
    say(`promoting ${next}, the standby that received the most, as Patroni or an operator would`, promotedAt);
    await cluster.promote(next);
    say(`${next} promoted; repointing ${other} to it (${next} commits wait for a synchronous standby)`);
    await cluster.repoint(other, next);
    await sleep(AFTER_PROMOTION_MS);
    open = false;
    await Promise.all(shoppers);
    ticker.stop();
    say('shop closes');

    const rows = await pool.query<{ id: string }>('SELECT id FROM orders');
    const stock = await pool.query<{ qty: number }>("SELECT qty FROM stock WHERE sku = 'mug'");
    const result = history.check(rows.rows.map((r) => r.id));
    const oks = history
      .ops()
      .filter((op) => op.outcome === 'ok')
      .map((op) => op.end as number)
      .sort((a, b) => a - b);
    const lastBefore = oks.filter((t) => t <= promotedAt).at(-1) ?? crashAt;
    const firstAfter = oks.find((t) => t > promotedAt);
    const sold = 1_000_000 - (stock.rows[0]?.qty ?? 0);

    console.log('\nWhat the shop saw');
    console.log(`  orders acknowledged       ${result.counts.ok}`);
    console.log(
      `  orders in the database    ${result.counts.finalDistinct} (stock sold: ${sold}, matches: ${sold === result.counts.finalDistinct ? 'yes' : 'NO'})`,
    );
    console.log(`  lost orders               ${result.lost.length}`);
    console.log(`  duplicated orders         ${result.duplicates.length}`);
    console.log(
      `  write outage              ${firstAfter ? Math.round(firstAfter - lastBefore) : 'never recovered'} ms from the last order before the crash to the first after it` +
        (firstAfter ? ` (${Math.round(firstAfter - promotedAt)} ms after the promotion began)` : ''),
    );
    console.log(
      `  statements re-run         ${reruns} (certainly not applied the first time, re-run by the pool)`,
    );
    console.log(
      `  errors the shop saw       ${errors.size === 0 ? 'none' : [...errors].map(([code, n]) => `${code} x${n}`).join(', ')}`,
    );
    if (result.unknown.applied.length + result.unknown.notApplied.length > 0) {
      console.log(
        `                            outcome unknown when the primary died mid-write: ` +
          `${result.unknown.applied.length} had committed, ${result.unknown.notApplied.length} had not`,
      );
    }
    console.log(`  final primary             ${name(pool.topology().primary ?? 'none')}\n`);
    await pool.end();
    if (result.lost.length > 0 || result.duplicates.length > 0) process.exitCode = 1;
  } finally {
    await cluster.destroy();
  }
}

/** Prints orders per second every BUCKET_MS as a small bar chart. */
function startTicker(history: ReturnType<typeof createHistory>) {
  let from = performance.now();
  const timer = setInterval(() => {
    const to = performance.now();
    const count = history
      .ops()
      .filter((op) => op.outcome === 'ok' && (op.end as number) > from && (op.end as number) <= to).length;
    const perSecond = Math.round((count * 1000) / (to - from));
    say(`${'#'.repeat(Math.min(50, Math.round(perSecond / 100))).padEnd(50)} ${perSecond} orders/s`, to);
    from = to;
  }, BUCKET_MS);
  return { stop: () => clearInterval(timer) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
