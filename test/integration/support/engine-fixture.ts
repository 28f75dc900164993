import type { FailoverEvents } from '../../../src/core/events';
import type { PoolHealth } from '../../../src/core/health';
import type { PoolMetricsSnapshot } from '../../../src/core/metrics/pool-metrics';
import type { MetricsOptions, MonitorOptions } from '../../../src/core/options';
import type { PromotionOptions } from '../../../src/core/promotion/options';
import type { ReadsOptions } from '../../../src/core/reads/options';
import type { TransactionOptions, TransactionsOptions } from '../../../src/core/transaction-options';
import type { harness, TestCluster } from '../../../src/testing';

/**
 * What a scenario written once for every engine needs to know of the engine: how its clusters are
 * started, how its pool is made and driven, how it writes placeholders. Each engine's fixture is in
 * pg-fixture.ts and mariadb-fixture.ts; `engineFixtures()` (fixtures.ts) lists those this machine
 * can run. Scenarios write SQL with `$1` placeholders; the fixture turns them into the engine's own.
 */

export type Row = Record<string, unknown>;

/** The pool's topology as the scenarios read it, whichever driver's pool it is. */
export interface PoolTopologyView {
  readonly primary: string | null;
  readonly nodes: readonly {
    readonly name: string;
    readonly healthy?: boolean;
    readonly writable?: boolean;
    readonly role?: string;
    readonly excluded?: string;
    readonly position?: string;
  }[];
}

/** A connection pinned by the pool (pg's `connect()`, mysql2's `getConnection()`). */
export interface AppSession {
  query(sql: string, values?: unknown[]): Promise<Row[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** The port the server behind the session listens on, as that server says. */
  serverPort(): Promise<number>;
  release(): void;
}

/** A statement on the handle `pool.transaction` gives the function. */
export interface SqlTx {
  rows(sql: string, values?: unknown[]): Promise<Row[]>;
}

/** failover-pool's pool of one engine, driven the same way on every engine. */
export interface AppPool<Raw = unknown> {
  /** The driver's pool itself, for what only that engine has. */
  readonly raw: Raw;
  query(sql: string, values?: unknown[]): Promise<Row[]>;
  /** A statement with `readFrom: 'replica'` (and `after` a causal token, if given). */
  read(sql: string, values?: unknown[], options?: { after?: string }): Promise<Row[]>;
  causalToken(): Promise<string>;
  session(): Promise<AppSession>;
  transaction<T>(fn: (tx: SqlTx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  topology(): PoolTopologyView;
  health(): PoolHealth;
  metrics(): PoolMetricsSnapshot;
  on<K extends keyof FailoverEvents>(event: K, listener: (...args: FailoverEvents[K]) => void): void;
  /** Idle connections kept for reuse, where the driver counts them (pg.Pool's idleCount). */
  idleCount?(): number;
  end(): Promise<void>;
}

/** The pool options the scenarios set, in words every engine has. */
export interface AppPoolOptions {
  /** A client-side limit on every statement (pg's query_timeout; mysql2's per-statement timeout). */
  statementTimeoutMs?: number;
  /** pg's `max`, mysql2's `connectionLimit`. */
  maxConnections?: number;
  failover?: {
    waitForPrimaryMs?: number;
    maxWaiting?: number;
    abandonAfterMs?: number;
    exactlyOnce?: boolean;
  };
  /** Instead of the cluster's: a wrong one, say. */
  password?: string;
  /** Instead of the cluster's nodes. */
  hosts?: string[];
  transactions?: TransactionsOptions;
  promotion?: PromotionOptions;
  metrics?: MetricsOptions;
  reads?: ReadsOptions;
  monitor?: MonitorOptions;
}

export interface FixtureClusterOptions extends harness.CommonClusterOptions {
  /** A `writes(id)` table the app owns, created on the primary before the test. */
  writesTable?: boolean;
  /** Extra server settings for every node (postgresql.conf settings, mariadbd options). */
  serverSettings?: Record<string, string | number | boolean>;
}

export interface EngineFixture<Raw = unknown, Cluster extends TestCluster = TestCluster> {
  /** For test titles: 'PostgreSQL (system)', 'MariaDB'. */
  readonly name: string;
  readonly engine: 'postgresql' | 'mariadb';
  start(options?: FixtureClusterOptions): Promise<Cluster>;
  /** The same start as a call of failover-pool/testing, for a script run in a child process. */
  readonly startCall: string;
  pool(cluster: Cluster, options?: AppPoolOptions): AppPool<Raw>;
  /** `text` with `$1`, `$2`... placeholders, in this engine's style. */
  sql(text: string): string;
  /** What the fault proxies in front of its nodes speak. */
  readonly protocol: 'postgres' | 'mysql';
  /** The port the server behind `hostPort` (a node, or a proxy) listens on, asked as the app over a connection of its own. */
  portBehind(cluster: Cluster, hostPort: string, connectTimeoutMs?: number): Promise<number>;
  /** SQL that keeps a session busy for `seconds`. */
  sleepSql(seconds: number): string;
  /**
   * Every id in `writes` on `node`, as strings, read by the harness's administrator (whatever the
   * app's password is now). With `uncommitted`, also rows of commits that wait
   * for a replica's acknowledgement, where the engine can show them (MariaDB's READ UNCOMMITTED).
   */
  idsOn(cluster: Cluster, node: string, options?: { uncommitted?: boolean }): Promise<string[]>;
  /** What a pool shows of itself (its topology, its driver's configuration), as text: no secret may be in it. */
  shownByPool(pool: AppPool<Raw>): string;
  /** What the server's refusal of a wrong password looks like. */
  readonly accessDenied: Record<string, unknown>;
  /** The column types of the transaction scenarios' shop. */
  readonly types: { serial: string; text: string };
  /** PostgreSQL aborts a transaction at its first error; MySQL rolls back the statement only. */
  readonly abortsOnError: boolean;
  /**
   * The error codes a planned switchover may give the app: PostgreSQL's fast shutdown ends the
   * statements in flight (WRITE_OUTCOME_UNKNOWN); MariaDB's read_only refuses them before they run.
   */
  readonly switchoverErrors: readonly string[];
}

/** The cluster's connection options, with what `options` says in words every driver has. */
export function commonPoolConfig(cluster: TestCluster, options: AppPoolOptions) {
  return {
    ...cluster.connectionOptions,
    ...(options.hosts && { hosts: options.hosts }),
    ...(options.password && { password: options.password }),
    ...(options.failover && { failover: options.failover }),
    ...(options.transactions && { transactions: options.transactions }),
    ...(options.promotion && { promotion: options.promotion }),
    ...(options.metrics && { metrics: options.metrics }),
    ...(options.reads && { reads: options.reads }),
    ...(options.monitor && { monitor: options.monitor }),
  };
}

/** `127.0.0.1:PORT` of a node: how the pool names it. */
export function address(cluster: TestCluster, node: string): string {
  return `127.0.0.1:${cluster.node(node).port}`;
}

/** A cluster with a `writes(id)` table the app owns, when asked; destroyed if that fails. */
export async function withWritesTable<C extends TestCluster>(
  starting: Promise<C>,
  wanted = false,
): Promise<C> {
  const cluster = await starting;
  if (!wanted) return cluster;
  try {
    await cluster.query(cluster.primary, 'CREATE TABLE writes (id BIGINT PRIMARY KEY)', [], { as: 'app' });
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

/**
 * After the primary failed: promotes the replica that received the most (as Patroni or
 * Orchestrator would) and points the others at it. Returns the promoted one and the others.
 */
export async function promoteMostAdvanced(cluster: TestCluster): Promise<[string, string[]]> {
  const next = await cluster.mostAdvanced();
  const others = cluster.nodes.map((n) => n.name).filter((name) => name !== next && name !== cluster.primary);
  await cluster.promote(next);
  for (const other of others) await cluster.repoint(other, next);
  return [next, others];
}
