/** "What the shop saw": the history checked against the orders and the stock on the final primary. */
import type { PgCluster } from '../src/testing';
import { type App, nodeName } from './apps';
import type { Failover } from './failover';
import { INITIAL_STOCK, type Shop } from './shop';

const line = (label: string, text: string | number) => console.log(`  ${label.padEnd(26)}${text}`);

/** The longest time between two consecutive acknowledged orders: the outage the shop felt. */
function longestGap(shop: Shop): { start: number; end: number } {
  const oks = shop.history
    .ops()
    .filter((op) => op.outcome === 'ok')
    .map((op) => op.end as number)
    .sort((a, b) => a - b);
  let gap = { start: 0, end: 0 };
  for (let i = 1; i < oks.length; i++) {
    const [start, end] = [oks[i - 1] as number, oks[i] as number];
    if (end - start > gap.end - gap.start) gap = { start, end };
  }
  return gap;
}

/** Prints the summary; resolves with whether an acknowledged order was lost or one was placed twice. */
export async function printSummary(
  cluster: PgCluster,
  apps: readonly App[],
  shop: Shop,
  crashAt: number,
  failover: Failover,
  counts: { reruns: number; promotions: number },
): Promise<boolean> {
  const [{ pool }] = apps as [App];
  const rows = await pool.query<{ id: string }>('SELECT id FROM orders');
  const stock = await pool.query<{ qty: number }>("SELECT qty FROM stock WHERE sku = 'mug'");
  const result = shop.history.check(rows.rows.map((r) => r.id));
  const gap = longestGap(shop);
  const sold = INITIAL_STOCK - (stock.rows[0]?.qty ?? 0);

  console.log('\nWhat the shop saw');
  line('orders acknowledged', result.counts.ok);
  line(
    'orders in the database',
    `${result.counts.finalDistinct} (stock sold: ${sold}, matches: ${sold === result.counts.finalDistinct ? 'yes' : 'NO'})`,
  );
  line('lost orders', result.lost.length);
  line('duplicated orders', result.duplicates.length);
  line(
    'longest gap',
    `${Math.round(gap.end - gap.start)} ms without an acknowledged order, from ${Math.round(gap.start - crashAt)} ms ` +
      `to ${Math.round(gap.end - crashAt)} ms after the crash (${Math.round(gap.end - failover.beganAt)} ms after the promotion began)`,
  );
  line('promotions', `${counts.promotions} (${failover.next})`);
  line('statements re-run', `${counts.reruns} (certainly not applied the first time, re-run by the pool)`);
  const errors = [...shop.errors].map(([code, n]) => `${code} x${n}`).join(', ');
  line('errors the shop saw', errors || 'none');
  const { applied, notApplied } = result.unknown;
  if (applied.length + notApplied.length > 0) {
    line(
      '',
      `outcome unknown when the primary died mid-write: ${applied.length} had committed, ${notApplied.length} had not`,
    );
  }
  line('final primary', `${nodeName(cluster, pool.topology().primary)}\n`);
  return result.lost.length === 0 && result.duplicates.length === 0;
}
