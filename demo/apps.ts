/**
 * The shop's app instances: each its own failover-pool pool on every node of the cluster, as
 * separate app servers would have, each printing what its pool tells it.
 */
import type { FailoverEvents } from '../src/core/events';
import type { PromotionOptions } from '../src/core/promotion/options';
import { createPgPool, type FailoverPgPool } from '../src/drivers/pg';
import type { PgCluster } from '../src/testing';
import { say } from './timeline';

export interface App {
  readonly name: string;
  readonly pool: FailoverPgPool;
}

/** The node's name ('node2') for a pool's `host:port`. */
export function nodeName(cluster: PgCluster, address: string | null): string {
  return cluster.nodes.find((node) => address?.endsWith(`:${node.port}`))?.name ?? String(address);
}

/** What the demo prints of each event, in the node names the audience knows. */
function narrate(app: App, cluster: PgCluster): void {
  const name = (address: string | null) => nodeName(cluster, address);
  const { pool } = app;
  const tell = (text: string) => say(`${app.name}: ${text}`);
  pool.on('primaryLost', (e) => tell(`primary ${name(e.from)} lost; orders wait for a new one`));
  pool.on('promotionStarted', (e) =>
    tell(
      `${name(e.from)} gone and no standby receives from it; holding the lock on a majority of nodes, promoting one of ${e.replicas.map(name).join(', ')}`,
    ),
  );
  pool.on('promotionSkipped', (e) =>
    tell(
      e.reason === 'another-instance-promotes'
        ? 'not promoting: another instance holds the lock'
        : `not promoting: ${e.reason}`,
    ),
  );
  pool.on('promoted', (e) => {
    const others = Object.keys(e.positions).filter(
      (node) => node !== e.node && !e.notRepointed.includes(node),
    );
    const following = others.length
      ? `; ${others.map(name).join(', ')} now follow${others.length === 1 ? 's' : ''} it`
      : '';
    // Carried over: the new primary's commits wait for a standby too, as the old one's did.
    const synchronous =
      e.synchronous === 'carried' ? '; its commits wait for a synchronous standby again' : '';
    tell(
      `promoted ${name(e.node)} in ${e.tookMs} ms (the standby that had applied the most${following}${synchronous})`,
    );
  });
  pool.on('primaryChanged', (e) => {
    if (e.from === null) return;
    tell(
      `new primary ${name(e.to)}, found ${Math.round(e.detectedAfterMs ?? 0)} ms after ${name(e.from)} failed`,
    );
  });
  // An instance may fence the same node again while its probes still see it writable: say it once.
  const fenced = new Set<string>();
  pool.on('fenced', (e) => {
    if (fenced.has(e.node)) return;
    fenced.add(e.node);
    tell(`fenced ${name(e.node)}: read-only for every client, no order goes there`);
  });
}

/** `count` app instances: promotion enabled in each when `promotion` is given, writes exactly once if asked. */
export function startApps(
  cluster: PgCluster,
  count: number,
  options: { promotion?: PromotionOptions; exactlyOnce: boolean },
): App[] {
  const { promotion, exactlyOnce } = options;
  return Array.from({ length: count }, (_, i) => {
    const app = {
      name: `app${i + 1}`,
      pool: createPgPool({
        ...cluster.connectionOptions,
        max: 8,
        ...(promotion ? { promotion } : {}),
        ...(exactlyOnce ? { failover: { exactlyOnce } } : {}),
      }),
    };
    narrate(app, cluster);
    return app;
  });
}

/** Resolves with the first `event` any app reports, or rejects after `timeoutMs`. */
export function firstEvent<K extends keyof FailoverEvents>(
  apps: readonly App[],
  event: K,
  timeoutMs: number,
): Promise<FailoverEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      for (const { pool } of apps) pool.off(event, listener);
    };
    const listener = (...args: FailoverEvents[K]) => {
      stop();
      resolve(args[0]);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`No app reported ${event} within ${timeoutMs} ms.`));
    }, timeoutMs);
    for (const { pool } of apps) pool.on(event, listener);
  });
}
