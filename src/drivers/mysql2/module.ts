import mysql from 'mysql2';
import { followingSessionBase } from '../../core/following-session';
import { mergeModuleOptions } from '../module-options';
import { ModulePools, type ModulePoolsApi } from '../module-pools';
import { assertNodesListed, SharedReplicationPool } from '../read-replicas';
import { FollowingMysqlConnection } from './following-connection';
import type { MysqlPoolConfig } from './options';
import { FailoverMysqlPool } from './pool';
import { ReplicationCluster } from './replication-cluster';

/** mysql2's option names that say where the nodes are (dropped from the ORM's options when `config` lists them). */
const NODE_KEYS = { nodes: ['hosts', 'host', 'port', 'uri', 'socketPath'], url: 'uri' } as const;

/**
 * An app (or ORM) opening connections one by one decides how many it keeps, as with mysql2's
 * createConnection; the module's pool behind them only keeps idle ones for reuse.
 */
const CONNECTION_POOL_LIMIT = 10_000;

/**
 * A stand-in for the `mysql2` module, for ORMs that load the driver themselves: TypeORM's `driver`
 * option, Sequelize's `dialectModule`. `createPool` makes a FailoverMysqlPool; `createConnection`
 * a single connection that follows the primary (following-connection.ts); the rest is mysql2's.
 */
export interface Mysql2Module extends ModulePoolsApi<FailoverMysqlPool, Mysql2Module> {
  /** A FailoverMysqlPool on the ORM's options merged with the module's config. */
  createPool(options?: mysql.PoolOptions | string): FailoverMysqlPool;
  /** One connection that follows the primary; it connects at once and emits `connect`. */
  createConnection(options?: mysql.ConnectionOptions | string): FollowingMysqlConnection;
  /**
   * For TypeORM's `replication`: entries over one failover-pool pool, those added with
   * `host: READ_REPLICAS` reading through its `reader()` (replication-cluster.ts).
   */
  createPoolCluster(options?: unknown): ReplicationCluster;
  readonly Types: typeof mysql.Types;
  readonly escape: typeof mysql.escape;
  readonly escapeId: typeof mysql.escapeId;
  readonly format: typeof mysql.format;
  readonly raw: typeof mysql.raw;
}

/**
 * The `mysql2` module for an ORM, on failover-pool: `config` is createMysqlPool's (`hosts`,
 * `failover`, `monitor`, credentials...), and the ORM's own connection options are merged in (see
 * module-options.ts). For example:
 * `new DataSource({ type: 'mysql', driver: createMysql2Module({ hosts }), username, password, database })`,
 * `new Sequelize(database, user, password, { dialect: 'mysql', dialectModule: createMysql2Module({ hosts }) })`.
 */
export function createMysql2Module(config: MysqlPoolConfig = {}): Mysql2Module {
  const ended = new Set<FailoverMysqlPool>();
  const merged = (options: unknown): MysqlPoolConfig =>
    mergeModuleOptions<MysqlPoolConfig>(options, config, NODE_KEYS);
  const endPool = (pool: FailoverMysqlPool): Promise<void> => {
    if (ended.has(pool)) return Promise.resolve();
    ended.add(pool);
    return new Promise((resolve) => pool.end(() => resolve()));
  };
  const owned = new ModulePools<FailoverMysqlPool>(endPool);

  // The pool behind every connection, made from the first connection's options (an ORM gives each
  // the same ones).
  let connectionPool: FailoverMysqlPool | undefined;
  const connectionPoolFor = (options: unknown): FailoverMysqlPool => {
    if (!connectionPool || ended.has(connectionPool)) {
      connectionPool = owned.adopt(
        new FailoverMysqlPool({ connectionLimit: CONNECTION_POOL_LIMIT, ...merged(options) }),
      );
    }
    return connectionPool;
  };

  const poolFor = (options: unknown): FailoverMysqlPool => {
    const poolConfig = merged(options);
    assertNodesListed(poolConfig.host, 'createMysql2Module');
    return owned.adopt(new FailoverMysqlPool(poolConfig));
  };
  // TypeORM's `replication`: one pool for its primary and replica entries (read-replicas.ts).
  const replication = new SharedReplicationPool<FailoverMysqlPool>((pool) => ended.has(pool));

  const module: Mysql2Module = {
    createPool: (options) => owned.adopt(new FailoverMysqlPool(merged(options))),
    createConnection: (options) => {
      const pool = connectionPoolFor(options);
      return new FollowingMysqlConnection(() => pool[followingSessionBase]());
    },
    createPoolCluster: () => new ReplicationCluster(replication, poolFor, endPool),
    Types: mysql.Types,
    escape: mysql.escape,
    escapeId: mysql.escapeId,
    format: mysql.format,
    raw: mysql.raw,
    ...owned.api(() => module),
  };
  return module;
}
