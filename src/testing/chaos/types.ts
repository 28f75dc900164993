/**
 * The chaos suite's seams. The suite itself is engine-neutral: an engine (PostgreSQL and MariaDB
 * now, Galera later) supplies a `ChaosCluster` that starts real nodes behind fault proxies and
 * knows how the app connects; a workload (the default single-row insert, or the user's own app
 * code) supplies what is written and how to read it back.
 */
import type { FaultProxy } from '../fault-proxy/types';

/** Asynchronous, or synchronous replication to one standby (PostgreSQL sync rep, semi-sync AFTER_SYNC). */
export type Replication = 'async' | 'sync';

/** The node signals a fault may send: a crash, a hang, and the end of the hang. */
export type ChaosSignal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT';

/** A row as an engine's admin query returns it. */
export type ChaosRow = Record<string, unknown>;

/**
 * A running test cluster with a fault proxy in front of every node, and the app's pool factory.
 * Node names are the harness's ('node1' is the first primary). The app reaches the nodes only
 * through the proxies; replication and `query()` go to the nodes directly.
 */
export interface ChaosCluster<Pool> {
  /** The engine and version, e.g. 'PostgreSQL 15'. */
  readonly description: string;
  readonly nodes: readonly string[];
  /** The node the harness last made primary. */
  readonly primary: string;
  proxy(node: string): FaultProxy;
  /** Signals every process of the node. */
  kill(node: string, signal: ChaosSignal): void;
  /** Starts a killed node again with its data, in the role it had. */
  start(node: string): Promise<void>;
  /** Makes a replica the primary (as an external failover manager would). */
  promote(node: string): Promise<void>;
  /** Points a replica at another primary. */
  repoint(replica: string, primary: string): Promise<void>;
  /** Resolves once `replica` replicates from the current primary. */
  waitForReplication(replica: string, timeoutMs: number): Promise<void>;
  /**
   * The standby that confirms commits on the primary now, if any (synchronous replication). Absent
   * where any replica may confirm (MariaDB semi-sync): the most advanced one is then promoted.
   */
  synchronousStandby?(): Promise<string | undefined>;
  /** Of `candidates`, the replica that has received the most from the old primary. */
  mostAdvanced(candidates: readonly string[]): Promise<string>;
  /** Lets `standbys` (first preferred) confirm commits on the primary: how a manager replaces a dead sync standby. */
  setSynchronousStandbys?(standbys: readonly string[]): Promise<void>;
  /** Runs `sql` as an admin in the app's database on one node, directly (not through its proxy). */
  query(node: string, sql: string): Promise<ChaosRow[]>;
  /** The app's pool, given every proxy. */
  createPool(): Pool;
  endPool(pool: Pool): Promise<void>;
  /** The node the pool currently writes to, by harness name, or null. */
  poolPrimary(pool: Pool): string | null;
  /** Stops every process, closes the proxies, removes the files. Idempotent. */
  destroy(): Promise<void>;
}

export interface ChaosEngine<Pool> {
  /** Short name used in the matrix and the reports, e.g. 'postgresql'. */
  readonly name: string;
  start(options: { replicas: number; replication: Replication }): Promise<ChaosCluster<Pool>>;
  /** The single-row insert workload written for this engine's SQL dialect. */
  readonly defaultWorkload: ChaosWorkload<Pool>;
}

/**
 * What the app does under faults. Each write creates exactly one row carrying `id`; the table must
 * not make `id` unique, or a write applied twice would be rejected instead of showing as a duplicate.
 */
export interface ChaosWorkload<Pool> {
  readonly name: string;
  /** Creates the schema, through the pool, before any fault. */
  setup(pool: Pool): Promise<void>;
  /** One write (an insert, a checkout...) carrying `id`. */
  write(pool: Pool, id: number): Promise<void>;
  /** Lists one row per written id, in a column named `id`. */
  readonly idsSql: string;
  /**
   * How a failed write is counted: `fail` = certainly not applied, `unknown` = may have been.
   * Default: failover-pool's errors that say nothing was applied are `fail`, anything else `unknown`.
   */
  outcomeOf?(error: unknown): 'fail' | 'unknown';
}

/** A moment worth showing on a trial's timeline, in ms from the trial's first write. */
export interface TimelineEvent {
  atMs: number;
  label: string;
  kind: 'fault' | 'promote' | 'heal' | 'other';
}

/** What a fault's script can do while it runs. */
export interface FaultContext {
  readonly cluster: ChaosCluster<unknown>;
  readonly replication: Replication;
  /** Puts a labelled event on the trial's timeline. */
  mark(label: string, kind: TimelineEvent['kind']): void;
  sleep(ms: number): Promise<void>;
  /** Nodes killed and not restarted: never promoted or repointed. */
  readonly down: Set<string>;
}

/** One row of the matrix: a fault and who recovers from it. */
export interface ChaosFault {
  readonly name: string;
  /** For people: 'kill -9 primary'. */
  readonly title: string;
  readonly replicas: number;
  /** `harness`: the suite promotes a replica as Patroni would; `nobody`: the primary must stay. */
  readonly promoter: 'harness' | 'nobody';
  /** A gap between successful writes longer than this is an outage (default: DEFAULT_GAP_THRESHOLD_MS). */
  readonly gapThresholdMs?: number;
  /**
   * Injects the fault and recovers as the promoter would. Leaves no proxy fault on and no node
   * SIGSTOPped; a node it killed and did not restart is in `context.down`.
   */
  run(context: FaultContext): Promise<void>;
}
