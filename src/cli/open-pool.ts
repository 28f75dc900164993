import type { FailoverEvents } from '../core/events';
import type { PoolHealth } from '../core/health';
import type { Topology } from '../core/topology';
import type { StatusArgs } from './args';

/** What the command needs of a pool, whatever the engine. */
export interface WatchedPool {
  topology(): Topology;
  health(): PoolHealth;
  on<K extends keyof FailoverEvents>(event: K, listener: (...args: FailoverEvents[K]) => void): unknown;
  end(): Promise<void>;
}

/**
 * A pool over the nodes that runs no statement of its own: its monitor is what the command shows.
 * The driver is loaded only for the engine asked for (pg and mysql2 are optional peers).
 */
export async function openPool(args: StatusArgs): Promise<WatchedPool> {
  const account = {
    ...(args.user !== undefined && { user: args.user }),
    ...(args.password !== undefined && { password: args.password }),
    ...(args.database !== undefined && { database: args.database }),
  };
  if (args.engine === 'pg') {
    const { createPgPool } = await import('../drivers/pg/index');
    const where =
      'connectionString' in args.target
        ? { connectionString: args.target.connectionString }
        : { hosts: [...args.target.hosts] };
    return createPgPool({ ...where, ...account, max: 1 });
  }
  const { createMysqlPromisePool } = await import('../drivers/mysql2/index');
  const where =
    'connectionString' in args.target
      ? { uri: args.target.connectionString }
      : { hosts: [...args.target.hosts] };
  return createMysqlPromisePool({ ...where, ...account, connectionLimit: 1 });
}

/** Resolves once every node has answered or failed once, or after `timeoutMs`. */
export async function discovered(pool: WatchedPool, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (pool.topology().discovering && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
