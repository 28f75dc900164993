/**
 * The chaos suite's seams. The suite itself is engine-neutral: an engine (PostgreSQL and MariaDB
 * now, Galera later) supplies a `ChaosCluster`: one of the harness's test clusters with a fault
 * proxy in front of every node, and the app's pool on it; a workload (the default single-row
 * insert, or the user's own app code) supplies what is written and how to read it back.
 */
import type { ReplicationMode, TestCluster } from '../cluster/test-cluster';

/** A row as a node returns it. */
export type ChaosRow = Record<string, unknown>;

/**
 * A running test cluster with a fault proxy in front of every node, and the app's pool on it. The
 * app reaches the nodes only through the proxies; replication and `readRows()` go to the nodes
 * directly.
 */
export interface ChaosCluster<Pool> {
  /** The harness's cluster: what faults act on. Node names are the harness's ('node1' is the first primary). */
  readonly cluster: TestCluster;
  /**
   * Rows of `sql` on one node, read by the harness's administrator in the app's database, every row
   * there: where the engine can, rows of commits still waiting for a replica too, so that a write
   * that reached a stale primary shows even if it never completes.
   */
  readRows(node: string, sql: string): Promise<ChaosRow[]>;
  /** The app's pool, given every proxy. */
  createPool(): Pool;
  endPool(pool: Pool): Promise<void>;
  /** The node the pool currently writes to, by harness name, or null. */
  poolPrimary(pool: Pool): string | null;
  /**
   * Relays what promotion by the library does in `pool` (one app instance), nodes by harness name.
   * Needed only by the faults that the library recovers from (`promoter: 'library'`).
   */
  watchPromotion?(pool: Pool, listener: (event: LibraryPromotionEvent) => void): void;
}

/**
 * Who recovers from a fault: the suite, as a failover manager (Patroni) would; the app's pools
 * themselves (`promotion.enabled`, several app instances, nobody else repairing the cluster); or
 * nobody, because the primary stays.
 */
export type ChaosPromoter = 'harness' | 'library' | 'nobody';

/** What one app instance's promotion by the library reported (docs/promotion.md, Events). */
export type LibraryPromotionEvent =
  | { readonly kind: 'promotionStarted'; readonly from: string }
  | {
      readonly kind: 'promoted';
      readonly node: string;
      readonly tookMs: number;
      readonly notRepointed: readonly string[];
    }
  | { readonly kind: 'promotionSkipped'; readonly reason: string }
  | { readonly kind: 'repointed'; readonly node: string; readonly to: string }
  | { readonly kind: 'fenced'; readonly node: string };

/** What a fault recovered by the library can wait for. */
export interface LibraryPromotion {
  /** The node an app instance promoted (the first one reported); rejects after `timeoutMs`. */
  promoted(timeoutMs: number): Promise<string>;
  /**
   * Resolves once an app instance has fenced `node` (made it read-only), or after `timeoutMs` with
   * the trial failed for it: the writes are still checked as usual.
   */
  fenced(node: string, timeoutMs: number): Promise<void>;
}

export interface ChaosEngine<Pool> {
  /** Short name used in the matrix and the reports, e.g. 'postgresql'. */
  readonly name: string;
  /** A fresh cluster; with `promoter: 'library'`, the app's pools promote (the engine gives them an account for it). */
  start(options: {
    replicas: number;
    replication: ReplicationMode;
    promoter: ChaosPromoter;
  }): Promise<ChaosCluster<Pool>>;
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
  /** The harness's cluster under the trial: kill, promote, repoint, the proxies... */
  readonly cluster: TestCluster;
  readonly replication: ReplicationMode;
  /** Puts a labelled event on the trial's timeline. */
  mark(label: string, kind: TimelineEvent['kind']): void;
  sleep(ms: number): Promise<void>;
  /** Nodes killed and not restarted: never promoted or repointed. */
  readonly down: Set<string>;
  /** The app instances' promotion by the library: only for faults whose `promoter` is 'library'. */
  readonly library?: LibraryPromotion;
}

/** One row of the matrix: a fault and who recovers from it. */
export interface ChaosFault {
  readonly name: string;
  /** For people: 'kill -9 primary'. */
  readonly title: string;
  readonly replicas: number;
  /** Who recovers (see ChaosPromoter); with 'library', the trial runs several app instances. */
  readonly promoter: ChaosPromoter;
  /** Promotions a correct recovery makes in one trial, whoever makes them: any other count fails it. */
  readonly promotions: number;
  /** A gap between successful writes longer than this is an outage (default: DEFAULT_GAP_THRESHOLD_MS). */
  readonly gapThresholdMs?: number;
  /**
   * Injects the fault and recovers as the promoter would. Leaves no proxy fault on and no node
   * SIGSTOPped; a node it killed and did not restart is in `context.down`.
   */
  run(context: FaultContext): Promise<void>;
}
