import { EventEmitter } from 'node:events';
import type mysql from 'mysql2';
import { ConfigError } from '../../core/errors';
import { namesReadReplicas, type SharedReplicationPool } from '../read-replicas';
import type { FailoverMysqlPool } from './pool';

type Callback = (error: NodeJS.ErrnoException | null, connection?: unknown) => unknown;

/**
 * The module's answer to `createPoolCluster` (TypeORM's `replication` on MySQL/MariaDB): not a
 * mysql2 PoolCluster spreading statements over hosts, but named entries over one failover-pool
 * pool. An entry added with `host: READ_REPLICAS` reads through that pool's `reader()` (replicas
 * within `reads.maxLagMs`); any other entry is the pool itself, which writes to the primary.
 * `getConnection(pattern)` takes mysql2's patterns (`MASTER`, `SLAVE*`); a pattern matching both
 * kinds, or none, is refused rather than guessed.
 */
export class ReplicationCluster extends EventEmitter {
  private readonly entries = new Map<string, 'replicas' | 'primary'>();
  private pool: FailoverMysqlPool | undefined;

  constructor(
    private readonly shared: SharedReplicationPool<FailoverMysqlPool>,
    private readonly makePool: (options: unknown) => FailoverMysqlPool,
    private readonly endPool: (pool: FailoverMysqlPool) => Promise<void>,
  ) {
    super();
  }

  add(id: string, options: mysql.PoolOptions): void {
    const replicas = namesReadReplicas(options);
    this.entries.set(id, replicas ? 'replicas' : 'primary');
    const make = () => this.makePool(options);
    this.pool = replicas ? this.shared.forReplicas(make) : this.shared.forPrimary(make);
  }

  getConnection(pattern: string, selectorOrCallback: string | Callback, maybeCallback?: Callback): void {
    const callback = typeof selectorOrCallback === 'function' ? selectorOrCallback : maybeCallback;
    if (!callback) throw new TypeError('getConnection needs a callback.');
    const kind = this.kindOf(pattern);
    const pool = this.pool;
    if (kind instanceof Error || !pool) {
      const none = new ConfigError(
        'replication',
        'no entry was added: add a primary entry (and replica entries) first.',
      );
      process.nextTick(callback, kind instanceof Error ? kind : none);
      return;
    }
    if (kind === 'replicas') pool.reader().getConnection(callback);
    else pool.getConnection(callback);
  }

  end(callback?: (error?: NodeJS.ErrnoException | null) => unknown): void {
    const pool = this.pool;
    if (!pool) {
      if (callback) process.nextTick(callback, null);
      return;
    }
    this.endPool(pool).then(() => callback?.(null));
  }

  /** Whether the entries `pattern` names (mysql2's `*` wildcard) read from replicas or write. */
  private kindOf(pattern: string): 'replicas' | 'primary' | ConfigError {
    const matcher = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
    const kinds = new Set([...this.entries].filter(([id]) => matcher.test(id)).map(([, kind]) => kind));
    if (kinds.size === 1) return [...kinds][0] as 'replicas' | 'primary';
    return new ConfigError(
      'replication',
      kinds.size === 0
        ? `no entry matches "${pattern}".`
        : `"${pattern}" matches both replica entries (host: READ_REPLICAS) and primary entries; name one kind.`,
    );
  }
}
