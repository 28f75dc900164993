import type { ClusterMismatchError } from './errors';
import type { WritesLostEvent } from './loss/writes-lost';
import type { PromotionSkipReason } from './promotion/verdict';
import type { RetryReason } from './retry';
import type { Topology } from './topology';
import type { TransactionConflict } from './transaction-dialect';

/** A new primary was found. */
export interface PrimaryChangedEvent {
  /** The previous primary (`host:port`), or null at start-up. */
  readonly from: string | null;
  readonly to: string;
  /** The new primary's generation (PostgreSQL timeline). */
  readonly generation: number;
  /**
   * Milliseconds from the moment the pool first saw the previous primary fail (a failed query or
   * probe) to the moment it found this one: the write outage as the pool saw it. Absent at start-up.
   */
  readonly detectedAfterMs?: number;
  readonly topology: Topology;
}

/** The primary is gone and no successor is known yet: writes wait (up to `failover.waitForPrimaryMs`). */
export interface PrimaryLostEvent {
  readonly from: string;
  readonly reason: string;
  readonly topology: Topology;
}

export interface NodeDownEvent {
  readonly node: string;
  readonly error: Error;
}

export interface NodeUpEvent {
  readonly node: string;
  readonly role: 'primary' | 'replica';
}

/**
 * A node failed every probe for `failover.abandonAfterMs` (it froze, or the network to it went dark):
 * every connection to it was closed, so the statements in flight there ended.
 */
export interface NodeAbandonedEvent {
  readonly node: string;
  /** How long the monitor had given the node up when its connections were closed. */
  readonly downForMs: number;
}

/** An operation is re-run because it certainly did not take effect (or was marked safe to re-run). */
export interface RetryEvent {
  /** The try that failed: 1 for the first. */
  readonly attempt: number;
  readonly node: string;
  readonly reason: RetryReason;
  readonly error: unknown;
  readonly delayMs: number;
}

/**
 * Why `pool.transaction` runs its function again: a conflict the database resolved by rolling the
 * transaction back (`serialization-failure`, `deadlock`, `lock-timeout`), a node failure before COMMIT
 * was sent (the transaction died with its connection), or a COMMIT whose connection died and whose
 * idempotency key is not on the primary (`commit-not-applied`). `idempotency-table-missing`: the
 * key's table was not on the node (created again before the re-run).
 */
export type TransactionRetryReason =
  | TransactionConflict
  | RetryReason
  | 'commit-not-applied'
  | 'idempotency-key-exists'
  | 'idempotency-table-missing';

/** A transaction was rolled back (or certainly not committed) and its function runs again. */
export interface TransactionRetryEvent {
  /** The attempt that failed: 1 for the first. */
  readonly attempt: number;
  readonly node: string;
  readonly reason: TransactionRetryReason;
  readonly error: unknown;
  readonly delayMs: number;
  /** The transaction's idempotency key, if it has one. */
  readonly idempotencyKey?: string;
}

/** Two nodes accept writes. `resolvedTo` is the one kept (newer generation), or null: writes stop. */
export interface SplitBrainEvent {
  readonly nodes: readonly string[];
  readonly resolvedTo: string | null;
  readonly topology: Topology;
}

export interface ClusterMismatchEvent {
  readonly node: string;
  readonly error: ClusterMismatchError;
}

/**
 * The events every failover-pool pool emits besides its driver's own, as an event -> arguments map
 * (the shape Node's typed `EventEmitter<T>` takes, so facades can extend the emitter their driver's
 * pool extends and stay assignable to it).
 */
/** This instance holds the promoter's locks and promotes (docs/promotion.md). */
export interface PromotionStartedEvent {
  /** The primary that is gone. */
  readonly from: string;
  /** The replicas it chooses among. */
  readonly replicas: readonly string[];
}

/** This instance promoted `node` (emitted by the instance that did it only). */
export interface PromotedEvent {
  readonly node: string;
  readonly from: string;
  /** From taking the locks to the new primary accepting writes and the other replicas repointed. */
  readonly tookMs: number;
  /** Its position when chosen, and those of the others it was compared with. */
  readonly position: string;
  readonly positions: Readonly<Record<string, string>>;
  /** Replicas that could not be repointed to it (they follow it once someone does). */
  readonly notRepointed: readonly string[];
  /**
   * How long the old primary went on writing after the newest position of it the new one holds, as
   * far as this pool's probes saw (0: it holds the last one seen); absent when this pool never saw
   * the old primary's positions. The writes of that span are lost unless the old primary returns.
   */
  readonly behindMs?: number;
  /** The old primary's last position this pool saw. */
  readonly primaryPosition?: string;
  /**
   * Whether the new primary waits for replicas as the old one did (rule 4): `carried` (a replica
   * confirms its commits); `asynchronous` (the old one did not wait either); `no-replica-left` (no
   * replica was repointed to it, or none confirmed within `promotion.promoteTimeoutMs`: it does not
   * wait, rather than wait forever); `unknown` (this pool never read the old primary's settings);
   * `failed` (with `synchronousError`: a missing privilege, say).
   */
  readonly synchronous: 'carried' | 'asynchronous' | 'no-replica-left' | 'unknown' | 'failed';
  readonly synchronousError?: string;
}

/** Why this instance did not promote although the primary seems gone: a reason an operator can act on. */
export interface PromotionSkippedEvent {
  readonly reason:
    | PromotionSkipReason
    | 'another-instance-promotes'
    | 'primary-appeared'
    | 'positions-diverge'
    /** The most advanced replica lacks more than `promotion.maxBehindMs` of the old primary's writes. */
    | 'candidate-behind'
    | 'failed';
  /** The primary that seems gone. */
  readonly from: string | null;
  readonly error?: unknown;
}

/** A replica that received nothing while a primary was known was pointed at it (a promotion finished). */
export interface RepointedEvent {
  readonly node: string;
  readonly to: string;
}

/** A former primary that came back writable was made read-only for every client. */
export interface FencedEvent {
  readonly node: string;
}

export interface FailoverEvents {
  primaryChanged: [event: PrimaryChangedEvent];
  primaryLost: [event: PrimaryLostEvent];
  nodeDown: [event: NodeDownEvent];
  nodeUp: [event: NodeUpEvent];
  nodeAbandoned: [event: NodeAbandonedEvent];
  retry: [event: RetryEvent];
  transactionRetry: [event: TransactionRetryEvent];
  splitBrain: [event: SplitBrainEvent];
  clusterMismatch: [event: ClusterMismatchEvent];
  /** The cluster's shape changed (roles, health, primary; not mere position moves). */
  topology: [topology: Topology];
  promotionStarted: [event: PromotionStartedEvent];
  promoted: [event: PromotedEvent];
  promotionSkipped: [event: PromotionSkippedEvent];
  repointed: [event: RepointedEvent];
  fenced: [event: FencedEvent];
  /** After a failover: writes the old primary had committed are not on the new one (docs/reads.md). */
  writesLost: [event: WritesLostEvent];
}

/** How the core emits: a facade hands in its own emitter's `emit`. */
export type EmitFailoverEvent = <K extends keyof FailoverEvents>(
  event: K,
  ...args: FailoverEvents[K]
) => void;

/** The names of failover-pool's own events, for facades that relay them (mysql2's promise pools). */
export const FAILOVER_EVENT_NAMES: readonly (keyof FailoverEvents)[] = [
  'primaryChanged',
  'primaryLost',
  'nodeDown',
  'nodeUp',
  'nodeAbandoned',
  'retry',
  'transactionRetry',
  'splitBrain',
  'clusterMismatch',
  'topology',
  'promotionStarted',
  'promoted',
  'promotionSkipped',
  'repointed',
  'fenced',
  'writesLost',
];
