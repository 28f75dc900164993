import type { NodeView } from '../node';
import type { TopologySnapshot } from '../topology';

/**
 * The replicas a read may go to now: answering their probes, not under suspicion, of this cluster,
 * streaming from a primary, and no staler than `maxLagMs` by their own measure (NodeProbe.lagMs) at
 * their last probe. A replica whose staleness is unknown (an account that may not read the replica
 * status) gets no reads: a bound that cannot be checked is not kept.
 */
export function eligibleReplicas(snapshot: TopologySnapshot, maxLagMs: number): NodeView[] {
  return snapshot.nodes.filter(
    (node) =>
      node.role === 'replica' &&
      node.healthy &&
      !node.suspect &&
      node.excluded === undefined &&
      node.replication?.receiving !== false &&
      node.lagMs !== undefined &&
      node.lagMs <= maxLagMs,
  );
}

/**
 * Spreads reads over the eligible replicas in turn, skipping those a read already failed on. The
 * turn is kept by name, so that a replica joining or leaving does not send the next reads to one
 * node twice in a row.
 */
export class ReplicaTurns {
  private last: string | undefined;

  next(candidates: readonly NodeView[], skip: ReadonlySet<string>): NodeView | undefined {
    const usable = candidates.filter((node) => !skip.has(node.name));
    if (usable.length === 0) return undefined;
    const sorted = [...usable].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const after =
      this.last === undefined ? undefined : sorted.find((node) => node.name > (this.last as string));
    const chosen = after ?? (sorted[0] as NodeView);
    this.last = chosen.name;
    return chosen;
  }
}
