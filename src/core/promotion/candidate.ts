/** A replica that could be promoted, as the promoter read it just before choosing. */
export interface PromotionCandidate {
  readonly node: string;
  /** Everything it has applied (Dialect.operations.currentPosition). */
  readonly position: string;
}

export type CandidateChoice =
  | { readonly chosen: PromotionCandidate }
  | { readonly chosen?: undefined; readonly reason: 'no-replica' | 'positions-diverge' };

/**
 * The replica to promote: the one that holds everything every other holds (the most advanced
 * position), never one behind another reachable replica. Ties go to the first by name, so that every
 * app instance that reads the same positions picks the same node. When two replicas each hold
 * something the other lacks (histories that diverged), none is chosen: promoting either would
 * lose the other's transactions, and that is for a person to decide.
 */
export function chooseCandidate(
  replicas: readonly PromotionCandidate[],
  compare: (a: string, b: string) => number | undefined,
): CandidateChoice {
  const sorted = [...replicas].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  let best = sorted[0];
  if (!best) return { reason: 'no-replica' };
  for (const replica of sorted.slice(1)) {
    const order = compare(replica.position, best.position);
    if (order === undefined) return { reason: 'positions-diverge' };
    if (order > 0) best = replica;
  }
  // The best must hold all of every other one, not only more than the one it was compared with.
  for (const replica of sorted) {
    const order = compare(best.position, replica.position);
    if (order === undefined || order < 0) return { reason: 'positions-diverge' };
  }
  return { chosen: best };
}
