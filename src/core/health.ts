import type { NodeRoleName } from './errors';
import type { TopologySnapshot } from './topology';

/** Why writes cannot go anywhere right now. */
export type UnhealthyReason =
  /** `end()` was called. */
  | 'ended'
  /** Just started: not every node has answered or failed once yet. */
  | 'discovering'
  /** Two nodes accept writes: nobody gets them until one is demoted. */
  | 'split-brain'
  /** The nodes report different cluster identities in equal numbers. */
  | 'cluster-mismatch'
  /** No node answers at all. */
  | 'all-nodes-down'
  /** Nodes answer, none is a usable primary: a failover under way, or nobody promoting. */
  | 'no-primary';

/**
 * `pool.health()`: whether a write could go somewhere right now, from what the monitor already
 * knows (no I/O, no allocation beyond the answer): cheap enough for every probe of a load balancer.
 */
export interface PoolHealth {
  /** A write would be sent to a primary now, without waiting. */
  readonly writable: boolean;
  /** The node writes go to, as `host:port`. */
  readonly primary: string | null;
  /** Why not, when `writable` is false. */
  readonly reason?: UnhealthyReason;
  /** One line for a log or a probe's answer. */
  readonly message: string;
  /** How long writes have had no primary, in ms, while they have none. */
  readonly noPrimaryForMs?: number;
  /** Callers waiting for a primary now (bounded by `failover.maxWaiting`). */
  readonly waiting: number;
  readonly nodes: readonly NodeHealth[];
}

export interface NodeHealth {
  readonly node: string;
  readonly role: NodeRoleName;
  readonly healthy: boolean;
  /** Bytes behind the primary, when both positions are known. */
  readonly lagBytes?: number;
  /** How stale its data was at its last probe, in milliseconds (a replica's own measure). */
  readonly lagMs?: number;
  /** Why the pool will not use it although it answers. */
  readonly excluded?: string;
}

export interface HealthState {
  readonly ended: boolean;
  readonly waiting: number;
  /** When writes last lost their primary (or the pool started without one); undefined with one. */
  readonly noPrimarySince: number | undefined;
  readonly now: number;
}

export function healthOf(snapshot: TopologySnapshot, state: HealthState): PoolHealth {
  const nodes = snapshot.nodes.map(
    (n): NodeHealth => ({
      node: n.name,
      role: n.role,
      healthy: n.healthy,
      ...(n.lagBytes !== undefined && { lagBytes: n.lagBytes }),
      ...(n.lagMs !== undefined && { lagMs: n.lagMs }),
      ...(n.excluded !== undefined && { excluded: n.excluded }),
    }),
  );
  const primary = state.ended ? null : (snapshot.primary?.name ?? null);
  if (primary !== null) {
    return { writable: true, primary, message: `writes go to ${primary}`, waiting: state.waiting, nodes };
  }
  const reason = unhealthyReason(snapshot, state.ended);
  const forMs = state.noPrimarySince === undefined ? undefined : Math.round(state.now - state.noPrimarySince);
  return {
    writable: false,
    primary,
    reason,
    message: `${MESSAGES[reason]}${forMs === undefined ? '' : ` (for ${forMs} ms)`}`,
    ...(forMs !== undefined && { noPrimaryForMs: forMs }),
    waiting: state.waiting,
    nodes,
  };
}

function unhealthyReason(snapshot: TopologySnapshot, ended: boolean): UnhealthyReason {
  if (ended) return 'ended';
  if (snapshot.discovering) return 'discovering';
  if (snapshot.splitBrain) return 'split-brain';
  if (snapshot.identityConflict) return 'cluster-mismatch';
  if (snapshot.nodes.every((n) => !n.healthy)) return 'all-nodes-down';
  return 'no-primary';
}

const MESSAGES: Record<UnhealthyReason, string> = {
  ended: 'the pool was ended',
  discovering: 'the pool is still asking the nodes which is primary',
  'split-brain': 'two nodes accept writes: no writes until one is demoted',
  'cluster-mismatch': 'the nodes report different clusters: check the host list',
  'all-nodes-down': 'no node answers',
  'no-primary': 'no primary: writes wait for a failover',
};
