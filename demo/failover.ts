/**
 * The two ways the demo's primary is replaced after its crash: by the app instances themselves
 * (promotion by the library, the default), or by an outside failover manager, as Patroni would
 * (`--external-promoter`), the app only following.
 */
import type { PgCluster } from '../src/testing';
import { type App, firstEvent, nodeName } from './apps';
import { say, sleep } from './timeline';

/** How long the demo waits for the library to act before it calls the run a failure. */
const LIBRARY_LIMIT_MS = 30_000;
/** The external manager's health check notices a crash at once; it promotes this long after. */
const PROMOTE_AFTER_MS = 500;

/** When the replacement began (for the summary), and the new primary. */
export interface Failover {
  readonly beganAt: number;
  readonly next: string;
}

/** kill -9 of the primary, every process of it, as a machine crash would do. */
export function crashPrimary(cluster: PgCluster): number {
  const crashAt = performance.now();
  cluster.kill('node1', 'SIGKILL');
  say('kill -9 node1, the primary (every process of it, as a machine crash would)', crashAt);
  return crashAt;
}

/** Nobody but the app instances repairs the cluster: wait for one of them to promote a standby. */
export async function libraryPromotes(cluster: PgCluster, apps: readonly App[]): Promise<Failover> {
  const promoted = await firstEvent(apps, 'promoted', LIBRARY_LIMIT_MS);
  // tookMs runs from taking the locks, just before `promotionStarted`.
  return { beganAt: performance.now() - promoted.tookMs, next: nodeName(cluster, promoted.node) };
}

/**
 * The crashed primary is started again: it comes back writable, on its old timeline, and the app
 * instances make it read-only.
 */
export async function restartOldPrimary(cluster: PgCluster, apps: readonly App[]): Promise<void> {
  say('starting node1 again: it comes back as a writable primary, on its old timeline');
  // Listening before the start: an instance may fence it as soon as it answers.
  await Promise.all([firstEvent(apps, 'fenced', LIBRARY_LIMIT_MS), cluster.start('node1')]);
}

/** The standby that received the most, as Patroni picks it: it holds every acknowledged order. */
export async function externalPromoterPromotes(cluster: PgCluster): Promise<Failover> {
  await sleep(PROMOTE_AFTER_MS);
  const beganAt = performance.now();
  const next = await cluster.mostAdvanced(['node2', 'node3']);
  const other = next === 'node2' ? 'node3' : 'node2';
  say(`promoting ${next}, the standby that received the most, as Patroni or an operator would`, beganAt);
  await cluster.promote(next);
  say(`${next} promoted; repointing ${other} to it (${next} commits wait for a synchronous standby)`);
  await cluster.repoint(other, next);
  return { beganAt, next };
}
