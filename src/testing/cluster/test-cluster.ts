/**
 * What every test cluster of the harness offers, whatever the engine: real server processes on
 * loopback ports, named 'node1', 'node2', ..., and the operations a failover manager (Patroni,
 * Orchestrator, an operator) performs on them. The chaos suite, the benchmarks and the integration
 * tests drive a cluster through this interface only; `PgCluster`, `MariadbCluster` and
 * `GaleraCluster` add what is particular to their engine.
 *
 * Written for primary/replica clusters (PostgreSQL streaming replication, MariaDB GTID
 * replication) and for clusters where every node takes writes (Galera): there `primary` is the
 * node the test chose to write through, `promote` chooses another one, `repoint` has nothing to
 * change and `waitForReplication` waits until the node is a synced member again.
 */
import type { FaultProxy } from '../fault-proxy/fault-proxy';

/** Every node listens on loopback only. */
export const HOST = '127.0.0.1';

/** Asynchronous replication, or synchronous to one replica (PostgreSQL sync rep, MariaDB semi-sync). */
export type ReplicationMode = 'async' | 'sync';

/** What `kill` sends to every process of a node: a crash, a clean stop, a hang and its end. */
export type NodeSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT';

/** `fast`: a clean shutdown; `immediate`: no shutdown work (a crash, recovered at the next start). */
export type StopMode = 'fast' | 'immediate';

export interface TestClusterNode {
  readonly name: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dataDir: string;
  /** The server's main process while the node runs. */
  readonly pid: number | undefined;
}

export interface NodeQueryOptions {
  /** Client-side limit per statement (default 30000 ms). */
  timeoutMs?: number;
  /** Limit on connecting and authenticating (default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * The session's database. Default: `connectionOptions.database` for the app's account; for the
   * harness's administrator PostgreSQL's `postgres` and none on MariaDB.
   */
  database?: string;
  /**
   * Whose session: the harness's administrator (the default; it may read and write on any node, a
   * read-only one too) or the application's account of `connectionOptions`, which the engine's
   * read-only rules bind as they bind the app.
   */
  as?: 'admin' | 'app';
}

/** What an app's pool needs: every node (or its proxy) and the application account. */
export interface ClusterConnectionOptions {
  /** '127.0.0.1:PORT' per node, in node order: the proxies' addresses when the cluster has proxies. */
  hosts: string[];
  user: string;
  password: string;
  database: string;
}

/** `Node` and `QueryOptions` are what an engine adds to every node and to `query`. */
export interface TestCluster<
  Node extends TestClusterNode = TestClusterNode,
  QueryOptions extends NodeQueryOptions = NodeQueryOptions,
> {
  /** 'postgresql', 'mariadb' or 'galera'. */
  readonly engine: string;
  /** The engine and version, for people: 'PostgreSQL 15', 'MariaDB 10.11.19'. */
  readonly description: string;
  readonly replication: ReplicationMode;
  /** 'node1' (the initial primary), 'node2', 'node3', ... */
  readonly nodes: readonly Node[];
  /** The node the harness last made primary. */
  readonly primary: string;
  /** The application account, not an administrator. */
  readonly connectionOptions: ClusterConnectionOptions;
  /** The folder holding every node's data and log; removed by destroy(). */
  readonly baseDir: string;
  /** How long the cluster took to start, in ms. */
  readonly startupMs: number;
  node(name: string): Node;
  /** The fault proxy in front of a node; only on a cluster started with `proxies: true`. Closed by destroy(). */
  proxy(name: string): FaultProxy;
  /** Signals every process of the node (a crash or a hang of its machine). */
  kill(name: string, signal: NodeSignal): void;
  /** Resolves when every process of the node exited. */
  stop(name: string, mode?: StopMode): Promise<void>;
  /** Starts a stopped node again on the same data folder and port, in the role it had; resolves when it accepts connections. */
  start(name: string): Promise<void>;
  /** Makes a replica the primary, as a failover manager does after the primary failed. */
  promote(name: string): Promise<void>;
  /** Points a node (a replica, or a former primary) at another primary. */
  repoint(replica: string, primary: string): Promise<void>;
  /** Planned switch: the primary hands over to `to` without losing a write; the others follow `to`. */
  switchover(to: string): Promise<void>;
  /** Runs one statement on that node, directly (never through its proxy); returns its rows. */
  query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<R[]>;
  /** Resolves when `replica` replicates from `from` (default: the current primary). */
  waitForReplication(replica: string, timeoutMs?: number, from?: string): Promise<void>;
  /**
   * Of `candidates` (default: every node but the primary), the one that holds the most of the
   * replication stream: it holds every commit any other candidate holds, so promoting it loses
   * nothing they have and the others can follow it. Ties go to the first in `candidates`.
   */
  mostAdvanced(candidates?: readonly string[]): Promise<string>;
  /**
   * The standby that confirms commits on the primary now, if any. Only where exactly one standby
   * does (PostgreSQL synchronous replication); absent where any replica may (MariaDB semi-sync).
   */
  synchronousStandby?(): Promise<string | undefined>;
  /** Lets `standbys` (first preferred) confirm the primary's commits: how a manager replaces a dead synchronous standby. */
  setSynchronousStandbys?(standbys: readonly string[]): Promise<void>;
  /**
   * Creates, on the primary, the least-privileged account that promotion by the library needs
   * (docs/promotion.md), and resolves once every replica has it. The password is random (not
   * enumerable on the result, so it stays out of logs).
   */
  createPromotionAccount(user?: string): Promise<{ readonly user: string; readonly password: string }>;
  /** Kills every process, closes the proxies and removes the folder; idempotent, works on SIGSTOPped nodes too. */
  destroy(): Promise<void>;
}
