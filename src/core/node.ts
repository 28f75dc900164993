import type { NodeRoleName } from './errors';

/** One configured node. `name` is `host:port`, the key used everywhere else. */
export interface NodeAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** What a node says about itself in one probe (the dialect turns its answer into this). */
export interface NodeProbe {
  readonly role: 'primary' | 'replica';
  /** Accepts writes right now: primary and not read-only. */
  readonly writable: boolean;
  /**
   * A number that grows with every promotion in the cluster (PostgreSQL: the timeline). Of two
   * writable nodes, the one with the higher generation is the real primary.
   */
  readonly generation?: number;
  /** Replication position as the engine prints it (PostgreSQL LSN `0/3000060`). */
  readonly position?: string;
  /** The position as a number, to compare nodes (PostgreSQL: LSN in bytes). */
  readonly positionBytes?: bigint;
  /** Identity of the cluster the node belongs to (PostgreSQL `system_identifier`). */
  readonly identity?: string;
  /** A replica's link to its primary, as the replica sees it. */
  readonly replication?: ReplicationLink;
  /**
   * How stale a replica's data is, in milliseconds, as it measures itself at the probe: 0 when it
   * has applied all it received; otherwise the age of the last transaction it applied (PostgreSQL,
   * an upper bound) or the applier's lag (MySQL/MariaDB `Seconds_Behind_Source`, whole seconds).
   */
  readonly lagMs?: number;
  /**
   * For a primary: what it holds of the cluster's history, as the dialect reads it, to tell whether
   * it holds a position another node reported (Dialect.holdsPosition): PostgreSQL the WAL it had
   * replayed when it was promoted (until a restart); MariaDB its gtid_binlog_state and
   * gtid_slave_pos; MySQL gtid_executed.
   */
  readonly lineage?: string;
  readonly serverVersion?: string;
  /** A MariaDB Galera node's state in its cluster; absent on every other server. */
  readonly galera?: GaleraState;
}

/**
 * A Galera node as it reports itself (wsrep_* status). Every node of a Primary component takes
 * writes; the pool still sends them to one (core/galera-writer.ts, docs/galera.md).
 */
export interface GaleraState {
  /** `wsrep_cluster_status`: `Primary`, `non-Primary` or `Disconnected`. */
  readonly clusterStatus: string;
  /** `wsrep_local_state`: 4 is Synced; 1 Joining, 2 Donor/Desynced, 3 Joined. */
  readonly localState?: number;
  /** `wsrep_local_state_comment`, e.g. `Synced`, `Donor/Desynced`. */
  readonly localStateComment?: string;
  /** `wsrep_ready`: the node accepts queries. */
  readonly ready: boolean;
  /** Primary, Synced and ready: the only nodes the pool uses. */
  readonly usable: boolean;
  /** `wsrep_local_index`: the node's rank in its component (members sorted by `nodeUuid`). */
  readonly localIndex?: number;
  readonly clusterSize?: number;
  /** `wsrep_cluster_conf_id`: grows with every membership change of the component. */
  readonly confId?: number;
  /** `wsrep_cluster_state_uuid`: the cluster's history, the same on every member. */
  readonly stateUuid?: string;
  /** `wsrep_gcomm_uuid`: the node's identity in the group, new at every start of the node. */
  readonly nodeUuid?: string;
  /** `wsrep_node_name`. */
  readonly nodeName?: string;
}

export interface ReplicationLink {
  /** The replica is receiving from a primary right now. */
  readonly receiving: boolean;
  readonly sourceHost?: string;
  readonly sourcePort?: number;
  /** Bytes received but not yet replayed (PostgreSQL), when known. */
  readonly replayLagBytes?: number;
  /** How far the replica's applier is behind, in seconds (MySQL `Seconds_Behind_Source`), when known. */
  readonly lagSeconds?: number;
}

/** Why the router will not use a node even though it answers. */
export type ExclusionReason =
  | 'cluster-mismatch'
  | 'stale-primary'
  | 'split-brain'
  /** Galera: the node is outside the Primary component (no quorum, cut off): it refuses queries. */
  | 'non-primary-component'
  /** Galera: in the Primary component but not Synced and ready (joining, donor, desynced). */
  | 'not-synced';

/** A node as the topology snapshot shows it. */
export interface NodeView extends NodeAddress {
  readonly role: NodeRoleName;
  /** The last probe succeeded and no failure was reported since. */
  readonly healthy: boolean;
  readonly writable: boolean;
  /** A query failed on this node after its last good probe; a new probe is under way. */
  readonly suspect: boolean;
  readonly excluded?: ExclusionReason;
  readonly generation?: number;
  readonly position?: string;
  /** Bytes this node is behind the primary, when both positions are known. */
  readonly lagBytes?: number;
  /** How stale this replica's data was at its last probe, in milliseconds (NodeProbe.lagMs). */
  readonly lagMs?: number;
  /** A primary's history as its last probe read it (NodeProbe.lineage). */
  readonly lineage?: string;
  readonly identity?: string;
  readonly replication?: ReplicationLink;
  readonly serverVersion?: string;
  /** A Galera node's state at its last probe (NodeProbe.galera). */
  readonly galera?: GaleraState;
  /** Round trip of the last successful probe. */
  readonly probeMs?: number;
  /** When the last successful probe answered, in the monitor's clock (ms, monotonic). */
  readonly answeredAt?: number;
  /** Message of the last probe failure while the node is not healthy. */
  readonly lastError?: string;
}
