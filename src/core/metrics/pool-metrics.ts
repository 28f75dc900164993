import type { FailoverEvents } from '../events';
import type { ConnectionUsage } from '../node-pool';
import type { ReadFallbackReason, ReplicaReadOutcome } from '../reads/replica-reads';
import type { Topology } from '../topology';

/** `pool.metrics()`: the figures the OpenTelemetry instruments report, as a plain object. */
export interface PoolMetricsSnapshot {
  /** Times writes moved to another primary (`failover_pool.primary.changes`). */
  readonly primaryChanges: number;
  /** Statements run again by the pool, by reason (`failover_pool.statement.reruns`). */
  readonly statementReruns: Readonly<Record<string, number>>;
  /** Writes that ended in WriteOutcomeUnknownError (`failover_pool.write.outcome_unknown`). */
  readonly writeOutcomeUnknown: number;
  /** Spans without a primary, from losing one to having the next (`failover_pool.write.outage`). */
  readonly writeOutages: {
    readonly count: number;
    readonly lastSeconds?: number;
    readonly maxSeconds?: number;
  };
  /** Each node as the monitor sees it (`failover_pool.node.up`, `failover_pool.node.lag`). */
  readonly nodes: readonly {
    readonly node: string;
    readonly role: string;
    readonly up: boolean;
    readonly lagBytes?: number;
    readonly lagSeconds?: number;
  }[];
  /**
   * Connections per node the pool has opened connections to: `idle` and `used` (checked out), as
   * OpenTelemetry's `db.client.connection.count` with `db.client.connection.state`.
   */
  readonly connections: readonly { readonly node: string; readonly idle: number; readonly used: number }[];
  /**
   * Reads marked `readFrom: 'replica'` that answered: how many a replica served, and how many the
   * primary did, by reason (`failover_pool.replica_reads`, attributes `served_by` and `reason`).
   */
  readonly replicaReads: {
    readonly replica: number;
    readonly primary: Readonly<Record<ReadFallbackReason, number>>;
  };
}

/** The connections of each node's pool (FailoverEngine.connectionUsage). */
export type UsageByNode = () => readonly { readonly node: string; readonly usage: ConnectionUsage }[];

/** Listens to the pool's own events (every event passes through `observe`) and keeps the counts. */
export class PoolMetrics {
  private primaryChanges = 0;
  private readonly reruns = new Map<string, number>();
  private outageCount = 0;
  private lastOutage: number | undefined;
  private maxOutage: number | undefined;
  private readsOnReplica = 0;
  private readonly readsOnPrimary: Record<ReadFallbackReason, number> = {
    'no-replica': 0,
    'replicas-failed': 0,
    'causal-wait': 0,
  };
  /** Observers of what the counters count (the OpenTelemetry instruments). */
  private readonly listeners: ((change: MetricChange) => void)[] = [];

  constructor(
    /** The engine's count of WriteOutcomeUnknownError. */
    private readonly outcomeUnknown: () => number,
    private readonly usageByNode: UsageByNode = () => [],
  ) {}

  /** Idle and checked-out connections per node, now. */
  connections(): PoolMetricsSnapshot['connections'] {
    return this.usageByNode().map(({ node, usage }) => ({
      node,
      idle: usage.open - usage.used,
      used: usage.used,
    }));
  }

  observe<K extends keyof FailoverEvents>(event: K, payload: FailoverEvents[K][0]): void {
    if (event === 'primaryChanged') {
      // The first primary found at the start is no change.
      if ((payload as FailoverEvents['primaryChanged'][0]).from === null) return;
      this.primaryChanges++;
      this.tell({ kind: 'primary-change' });
    } else if (event === 'retry' || event === 'transactionRetry') {
      const { reason } = payload as FailoverEvents['retry'][0];
      this.reruns.set(reason, (this.reruns.get(reason) ?? 0) + 1);
      this.tell({ kind: 'rerun', reason });
    }
  }

  /** Writes had no primary for `seconds`, and have one again (the same node or another). */
  outage(seconds: number): void {
    this.outageCount++;
    this.lastOutage = seconds;
    this.maxOutage = Math.max(this.maxOutage ?? 0, seconds);
    this.tell({ kind: 'outage', seconds });
  }

  /** A read marked `readFrom: 'replica'` answered, from a replica or from the primary. */
  replicaRead(outcome: ReplicaReadOutcome): void {
    if (outcome === 'replica') this.readsOnReplica++;
    else this.readsOnPrimary[outcome]++;
    this.tell({ kind: 'replica-read', outcome });
  }

  /** The engine counted one more WriteOutcomeUnknownError. */
  outcomeUnknownCounted(): void {
    this.tell({ kind: 'outcome-unknown' });
  }

  onChange(listener: (change: MetricChange) => void): void {
    this.listeners.push(listener);
  }

  snapshot(topology: Topology): PoolMetricsSnapshot {
    return {
      primaryChanges: this.primaryChanges,
      statementReruns: Object.fromEntries(this.reruns),
      writeOutcomeUnknown: this.outcomeUnknown(),
      writeOutages: {
        count: this.outageCount,
        ...(this.lastOutage !== undefined && { lastSeconds: this.lastOutage }),
        ...(this.maxOutage !== undefined && { maxSeconds: this.maxOutage }),
      },
      nodes: topology.nodes.map((n) => ({
        node: n.name,
        role: n.role,
        up: n.healthy,
        ...(n.lagBytes !== undefined && { lagBytes: n.lagBytes }),
        ...(n.lagMs !== undefined && { lagSeconds: n.lagMs / 1000 }),
      })),
      connections: this.connections(),
      replicaReads: { replica: this.readsOnReplica, primary: { ...this.readsOnPrimary } },
    };
  }

  private tell(change: MetricChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

export type MetricChange =
  | { readonly kind: 'primary-change' }
  | { readonly kind: 'outage'; readonly seconds: number }
  | { readonly kind: 'rerun'; readonly reason: string }
  | { readonly kind: 'outcome-unknown' }
  | { readonly kind: 'replica-read'; readonly outcome: ReplicaReadOutcome };
