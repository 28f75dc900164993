import type { TopologySnapshot } from '../topology';

/** Why this instance does not promote now, in words an operator can act on. */
export type PromotionSkipReason =
  /** A healthy replica still receives from a primary: the fault is between this app and the primary. */
  | 'replicas-still-receiving'
  /** A healthy replica does not say whether it receives (its probe lacks the replication state). */
  | 'replication-state-unknown'
  /** Half the listed nodes or fewer answer: no majority of advisory locks can be taken. */
  | 'no-majority'
  /** No healthy replica to promote. */
  | 'no-replica'
  /** Two nodes accept writes: a person must decide. */
  | 'split-brain'
  /** A promotion happened less than `promotion.cooldownMs` ago. */
  | 'cooling-down';

export type PromotionVerdict =
  /** Nothing to do: a primary is known, or the one lost has not been gone long enough yet. */
  | { readonly act: 'none' }
  | { readonly act: 'skip'; readonly reason: PromotionSkipReason }
  /** The primary is gone for this instance and for every replica it reaches: try to promote one of `replicas`. */
  | {
      readonly act: 'promote';
      readonly lost: string;
      /** The candidates. */
      readonly replicas: readonly string[];
      /** Every node that answers but the lost primary: where the advisory locks are taken. */
      readonly reachable: readonly string[];
    };

export interface VerdictInput {
  readonly snapshot: TopologySnapshot;
  /** The node this pool last saw as the primary, if any. */
  readonly lastPrimary: string | null;
  /** How long that node has failed every probe (undefined: it answers, or was never given up). */
  readonly primaryDownForMs: number | undefined;
  /** `promotion.detectAfterMs`: how long the primary must have been unreachable. */
  readonly detectAfterMs: number;
  /** Within `promotion.cooldownMs` of the last promotion this instance saw. */
  readonly coolingDown: boolean;
}

/**
 * Whether to try a promotion now (rules 1 and 7 of docs/promotion.md): the primary this instance
 * knew has failed its probes for `detectAfterMs`, no node is writable, every replica this instance
 * reaches has lost its primary too (so a partition between this app and a healthy primary never
 * promotes), a majority of all listed nodes answers (so the advisory locks can be taken), and no
 * promotion happened within the cool-down. Taking the locks and choosing the replica come after.
 */
export function promotionVerdict(input: VerdictInput): PromotionVerdict {
  const { snapshot, lastPrimary, primaryDownForMs } = input;
  if (snapshot.primary || snapshot.discovering) return { act: 'none' };
  if (snapshot.splitBrain) return { act: 'skip', reason: 'split-brain' };
  // A pool that never saw a primary (at start, every node still a replica) promotes nothing.
  if (lastPrimary === null) return { act: 'none' };
  if (primaryDownForMs === undefined || primaryDownForMs < input.detectAfterMs) return { act: 'none' };
  if (input.coolingDown) return { act: 'skip', reason: 'cooling-down' };
  const healthy = snapshot.nodes.filter((node) => node.healthy && node.name !== lastPrimary);
  if (healthy.length <= snapshot.nodes.length / 2) return { act: 'skip', reason: 'no-majority' };
  const replicas = healthy.filter((node) => node.role === 'replica' && !node.excluded);
  if (replicas.length === 0) return { act: 'skip', reason: 'no-replica' };
  if (replicas.some((node) => node.replication === undefined)) {
    return { act: 'skip', reason: 'replication-state-unknown' };
  }
  if (replicas.some((node) => node.replication?.receiving)) {
    return { act: 'skip', reason: 'replicas-still-receiving' };
  }
  return {
    act: 'promote',
    lost: lastPrimary,
    replicas: replicas.map((node) => node.name),
    reachable: healthy.map((node) => node.name),
  };
}
