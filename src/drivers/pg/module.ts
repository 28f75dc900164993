import pg from 'pg';
import { followingSessionBase } from '../../core/following-session';
import { mergeModuleOptions } from '../module-options';
import { ModulePools, type ModulePoolsApi } from '../module-pools';
import {
  assertNodesListed,
  namesReadReplicas,
  type READ_REPLICAS,
  SharedReplicationPool,
} from '../read-replicas';
import { FollowingPgClient } from './following-client';
import type { PgPoolConfig } from './options';
import { FailoverPgPool } from './pool';
import type { FailoverPgReader } from './reader';

/** pg's option names that say where the nodes are (dropped from the ORM's options when `config` lists them). */
const NODE_KEYS = { nodes: ['hosts', 'host', 'port', 'connectionString'], url: 'connectionString' } as const;

/**
 * A Client class count: an app (or ORM) opening connections one by one decides how many it keeps,
 * as with pg.Client; the module's pool behind them only keeps idle ones for reuse.
 */
const CLIENT_POOL_MAX = 10_000;

/**
 * A stand-in for the `pg` module, for ORMs that load the driver themselves: TypeORM's `driver`
 * option, Sequelize's `dialectModule`. Its `Pool` is a FailoverPgPool; its `Client` is a single
 * connection that follows the primary (following-client.ts). Everything else is pg's own.
 */
export interface PgModule extends ModulePoolsApi<FailoverPgPool, PgModule> {
  /**
   * `new Pool(ormOptions)`: a FailoverPgPool on the ORM's options merged with the module's config;
   * with `host: READ_REPLICAS` (an ORM's replica entry), that pool's `reader()`.
   */
  readonly Pool: {
    new (options: pg.PoolConfig & { host: typeof READ_REPLICAS }): FailoverPgReader;
    new (options?: pg.PoolConfig): FailoverPgPool;
  };
  /** `new Client(ormOptions)`: one connection that follows the primary. */
  readonly Client: new (
    options?: string | pg.ClientConfig,
  ) => FollowingPgClient;
  readonly types: typeof pg.types;
  readonly defaults: typeof pg.defaults;
  readonly DatabaseError: typeof pg.DatabaseError;
  readonly Query: typeof pg.Query;
  readonly escapeIdentifier: typeof pg.escapeIdentifier;
  readonly escapeLiteral: typeof pg.escapeLiteral;
}

/**
 * The `pg` module for an ORM, on failover-pool: `config` is createPgPool's (`hosts`, `failover`,
 * `monitor`, credentials...), and the ORM's own connection options are merged in (see
 * module-options.ts). For example:
 * `new DataSource({ type: 'postgres', driver: createPgModule({ hosts }), username, password, database })`,
 * `new Sequelize(database, user, password, { dialect: 'postgres', dialectModule: createPgModule({ hosts }) })`.
 */
export function createPgModule(config: PgPoolConfig = {}): PgModule {
  const owned = new ModulePools<FailoverPgPool>((pool) => (pool.ending ? Promise.resolve() : pool.end()));
  const merged = (options: unknown): PgPoolConfig =>
    mergeModuleOptions<PgPoolConfig>(options, config, NODE_KEYS);

  class OwnedPool extends FailoverPgPool {
    constructor(options?: pg.PoolConfig) {
      const config = merged(options);
      assertNodesListed(config.host, 'createPgModule');
      super(config);
      owned.adopt(this);
    }
  }
  // TypeORM's `replication`: its replica entries read through the reader of the pool its primary
  // entry gets (read-replicas.ts). `new Pool()` is a class construction; the trap picks the pool.
  const replication = new SharedReplicationPool<FailoverPgPool>((pool) => pool.ending);
  const Pool = new Proxy(OwnedPool, {
    construct(target, args, newTarget) {
      const make = () => Reflect.construct(target, args, newTarget) as FailoverPgPool;
      if (namesReadReplicas(args[0])) return replication.forReplicas(make).reader();
      return replication.forPrimary(make);
    },
  }) as unknown as PgModule['Pool'];

  // The pool behind every Client, made from the first Client's options (an ORM gives each the same).
  let clientPool: FailoverPgPool | undefined;
  const clientPoolFor = (options: unknown): FailoverPgPool => {
    if (!clientPool || clientPool.ending) {
      clientPool = owned.adopt(new FailoverPgPool({ max: CLIENT_POOL_MAX, ...merged(options) }));
    }
    return clientPool;
  };

  class Client extends FollowingPgClient {
    constructor(options?: string | pg.ClientConfig) {
      const pool = clientPoolFor(options);
      super(() => pool[followingSessionBase]());
    }
  }

  const module: PgModule = {
    Pool,
    Client,
    types: pg.types,
    defaults: pg.defaults,
    DatabaseError: pg.DatabaseError,
    Query: pg.Query,
    escapeIdentifier: pg.escapeIdentifier,
    escapeLiteral: pg.escapeLiteral,
    ...owned.api(() => module),
  };
  return module;
}
