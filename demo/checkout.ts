/**
 * `npm run demo`: a small shop keeps taking orders while its primary database crashes, and the app
 * promotes a standby by itself.
 *
 * Starts a real 3-node PostgreSQL cluster on loopback (synchronous replication to one standby) and
 * three app instances, each its own failover-pool pool with promotion enabled and nobody else to
 * repair the cluster. Shoppers place orders; the primary is killed with SIGKILL; one instance
 * promotes the standby that applied the most and the others follow; the old primary, started
 * again, is fenced. Then it prints what the shop saw.
 *
 * `npm run demo -- --external-promoter`: the library's default mode instead. The pools only follow,
 * and the demo promotes a standby 500 ms after the crash, as Patroni or an operator would.
 *
 * `npm run demo -- --exactly-once`: every checkout is exactly once (`failover.exactlyOnce`): the
 * orders in flight at the crash are resolved by the pool, and the shop sees no error at all.
 */
import { statfsSync } from 'node:fs';
import { type PgCluster, startPgCluster } from '../src/testing';
import { type App, nodeName, startApps } from './apps';
import { crashPrimary, externalPromoterPromotes, libraryPromotes, restartOldPrimary } from './failover';
import { createShop, openShop } from './shop';
import { printSummary } from './summary';
import { say, sleep, startTicker } from './timeline';

const APPS = 3;
const SHOPPERS = 4;
const BEFORE_CRASH_MS = 2_000;
const AFTER_PROMOTION_MS = 1_500;
const AFTER_FENCE_MS = 1_000;
const USAGE = 'Usage: npm run demo [-- [--external-promoter] [--exactly-once]]';
const FLAGS = ['--external-promoter', '--exactly-once'];

/** Test clusters on /dev/shm where it has room: much faster to create than in /tmp. */
function tmpDir(): string | undefined {
  try {
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize > 2 * 1024 ** 3 ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

function demoFlags(): { external: boolean; exactlyOnce: boolean } {
  const args = process.argv.slice(2);
  const unknown = args.find((arg) => !FLAGS.includes(arg));
  if (unknown !== undefined) throw new Error(`Unknown argument ${unknown}.\n${USAGE}`);
  return { external: args.includes('--external-promoter'), exactlyOnce: args.includes('--exactly-once') };
}

/** The app instances: with promotion by the library, logged in for it with the harness's least-privileged account. */
async function appsFor(cluster: PgCluster, external: boolean, exactlyOnce: boolean): Promise<App[]> {
  const once = exactlyOnce ? '; every checkout exactly once (failover.exactlyOnce)' : '';
  if (external) {
    console.log(
      `  ${APPS} app instances, each its own pool; they follow whoever promotes (here the demo)${once}\n`,
    );
    return startApps(cluster, APPS, { exactlyOnce });
  }
  const { user, password } = await cluster.createPromotionAccount();
  console.log(
    `  ${APPS} app instances, each its own pool with promotion enabled (account ${user}); ` +
      `no Patroni, nobody else repairs the cluster${once}\n`,
  );
  return startApps(cluster, APPS, { exactlyOnce, promotion: { enabled: true, user, password } });
}

async function main(): Promise<void> {
  const { external, exactlyOnce } = demoFlags();
  console.log(
    `\nfailover-pool demo: a shop keeps selling while its primary database crashes${external ? '' : ', and the app promotes a standby itself'}\n`,
  );
  const cluster = await startPgCluster({ replicas: 2, synchronous: true, tmpDir: tmpDir() });
  try {
    console.log(
      `  PostgreSQL ${cluster.serverVersion} (${cluster.source}) on loopback: node1 primary, node2 and node3 ` +
        `standbys (node2 synchronous); up in ${(cluster.startupMs / 1000).toFixed(1)} s`,
    );
    const apps = await appsFor(cluster, external, exactlyOnce);
    const counts = { reruns: 0, promotions: external ? 1 : 0 };
    for (const { pool } of apps) {
      pool.on('retry', () => counts.reruns++);
      // An exactly-once checkout is a transaction: it is run again through the transaction runner.
      pool.on('transactionRetry', () => counts.reruns++);
      pool.on('promoted', () => counts.promotions++);
    }
    await createShop((apps[0] as App).pool);

    say(`shop opens: ${SHOPPERS} shoppers placing orders through ${apps.map((app) => app.name).join(', ')}`);
    const shop = openShop(apps, SHOPPERS);
    const ticker = startTicker(shop.history);
    await sleep(BEFORE_CRASH_MS);
    const crashAt = crashPrimary(cluster);
    shop.watchForResumption(
      crashAt,
      (app) =>
        `orders resume, on ${nodeName(cluster, app.pool.topology().primary)}, ${Math.round(performance.now() - crashAt)} ms after the crash`,
    );
    const failover = external
      ? await externalPromoterPromotes(cluster)
      : await libraryPromotes(cluster, apps);
    await sleep(AFTER_PROMOTION_MS);
    if (!external) {
      await restartOldPrimary(cluster, apps);
      await sleep(AFTER_FENCE_MS);
    }
    await shop.close();
    ticker.stop();
    say('shop closes');

    const clean = await printSummary(cluster, apps, shop, crashAt, failover, counts);
    await Promise.all(apps.map(({ pool }) => pool.end()));
    if (!clean) process.exitCode = 1;
  } finally {
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
