import { chooseGaleraWriter, isGaleraCluster } from './galera-writer';
import type { ExclusionReason, GaleraState, NodeAddress, NodeProbe, NodeView } from './node';
import { withoutUndefined } from './objects';

/** What the monitor knows about one node; the input of `deriveTopology`. */
export interface NodeHealth {
  readonly address: NodeAddress;
  /** The last successful probe, kept while the node is down so its identity stays known. */
  readonly probe?: NodeProbe;
  readonly healthy: boolean;
  readonly suspect: boolean;
  readonly probeMs?: number;
  /** When its last successful probe answered (monitor clock): how fresh `probe` is. */
  readonly answeredAt?: number;
  readonly lastError?: string;
  /** The node has answered or failed at least once (false only during the first discovery). */
  readonly known: boolean;
}

/** An immutable picture of the cluster. The router only ever reads the latest one. */
export interface TopologySnapshot {
  /** Grows by one with every new snapshot. */
  readonly version: number;
  readonly primary: NodeView | null;
  /** In configuration order. */
  readonly nodes: readonly NodeView[];
  /** The highest generation (PostgreSQL timeline) any writable node of this cluster has shown. */
  readonly generation: number;
  /** The cluster identity the pool follows (the one most nodes reported when first all were heard). */
  readonly identity?: string;
  /** As many nodes report one identity as another: no node is used until that is settled. */
  readonly identityConflict?: readonly string[];
  /** Set when two or more nodes of the newest generation accept writes: nobody gets writes. */
  readonly splitBrain?: readonly string[];
  /**
   * True until every node has answered or failed once. No primary is chosen before that: the first
   * node to answer could be an old primary that came back, while the real one has not answered yet.
   */
  readonly discovering?: true;
}

export interface TopologyMemory {
  /** Highest generation ever seen writable: a writable node below it is a stale primary. */
  readonly generation: number;
  /** The cluster identity, once every node had been heard and most agreed on it. */
  readonly identity?: string;
}

/**
 * Decides the primary from what the nodes said, never from configuration order:
 * - only healthy, non-suspect, writable nodes of the cluster's identity are candidates;
 * - the highest generation wins; a candidate below the highest generation ever seen is a stale
 *   primary (an old primary that came back) and is never used;
 * - of two candidates of the same, highest generation, the one the replicas follow wins (MySQL has
 *   no timeline; a returning old primary is followed by nobody);
 * - if that does not decide either: split brain, no primary.
 */
export function deriveTopology(
  states: readonly NodeHealth[],
  memory: TopologyMemory,
  version: number,
): { snapshot: TopologySnapshot; memory: TopologyMemory } {
  const discovering = states.some((s) => !s.known) ? (true as const) : undefined;
  const { identity, conflict } = clusterIdentity(states, memory.identity);
  // Nothing is called foreign until every node has been heard and the majority is clear: a view
  // with one node of each cluster would otherwise pick whichever answered, or was listed, first.
  const settled = identity !== undefined && !discovering;
  const mismatched = (s: NodeHealth) =>
    settled && s.probe?.identity !== undefined && s.probe.identity !== identity;

  const candidates = conflict
    ? []
    : states.filter((s) => s.healthy && !s.suspect && s.probe?.writable && !mismatched(s));
  const generationOf = (s: NodeHealth) => s.probe?.generation ?? 0;
  const newest = Math.max(memory.generation, ...candidates.map(generationOf));
  const top = preferFollowed(
    candidates.filter((s) => generationOf(s) === newest),
    states,
  );

  // Galera: every usable node is writable; one of them is chosen by a rule of its own.
  const galera = isGaleraCluster(states) ? chooseGaleraWriter(states) : undefined;
  const splitBrain = top.length > 1 && !discovering && !galera ? top.map((s) => s.address.name) : undefined;
  const primaryState = discovering
    ? undefined
    : galera
      ? galera.writer
      : top.length === 1
        ? top[0]
        : undefined;
  const primaryBytes = primaryState?.probe?.positionBytes;

  const exclusionOf = (s: NodeHealth): ExclusionReason | undefined => {
    if (mismatched(s)) return 'cluster-mismatch';
    if (galera) return galera.exclusionOf(s);
    if (!s.healthy || !s.probe?.writable) return undefined;
    if (splitBrain?.includes(s.address.name)) return 'split-brain';
    if (generationOf(s) < newest) return 'stale-primary';
    if (primaryState && s !== primaryState && !mismatched(s)) return 'stale-primary';
    return undefined;
  };

  const nodes = states.map((s): NodeView => {
    const probe = s.healthy ? s.probe : undefined;
    const view: NodeView = {
      ...s.address,
      // Galera: the writer is the primary, every other node that answers a replica.
      role: galera && probe ? (s === primaryState ? 'primary' : 'replica') : (probe?.role ?? 'unknown'),
      healthy: s.healthy,
      writable: probe?.writable ?? false,
      suspect: s.suspect,
      excluded: exclusionOf(s),
      generation: probe?.generation,
      position: probe?.position,
      lagBytes: lagOf(probe, primaryBytes),
      // A Galera member has no time measure of its own; Synced, it applies what the group certified,
      // with flow control holding its queue to a few transactions: 0 (docs/galera.md, Reads).
      lagMs: galera && probe?.galera ? galeraMemberLag(probe.galera, s === primaryState) : probe?.lagMs,
      lineage: probe?.lineage,
      identity: s.probe?.identity,
      replication: probe?.replication,
      serverVersion: s.probe?.serverVersion,
      galera: probe?.galera,
      probeMs: s.probeMs,
      answeredAt: s.answeredAt,
      lastError: s.healthy ? undefined : s.lastError,
    };
    return withoutUndefined(view);
  });

  const primary = primaryState ? (nodes.find((n) => n.name === primaryState.address.name) ?? null) : null;
  const snapshot: TopologySnapshot = withoutUndefined({
    version,
    primary,
    nodes,
    generation: newest,
    identity,
    identityConflict: conflict,
    splitBrain,
    discovering,
  });
  return { snapshot, memory: { generation: newest, identity: settled ? identity : memory.identity } };
}

/** Of several writable candidates, keeps the one most replicas stream from, if exactly one is. */
function preferFollowed(top: NodeHealth[], states: readonly NodeHealth[]): NodeHealth[] {
  if (top.length < 2) return top;
  const followers = top.map(
    (candidate) =>
      states.filter((s) => {
        const link = s.healthy ? s.probe?.replication : undefined;
        return link?.sourceHost === candidate.address.host && link.sourcePort === candidate.address.port;
      }).length,
  );
  const most = Math.max(...followers);
  if (most === 0 || followers.filter((f) => f === most).length > 1) return top;
  return [top[followers.indexOf(most)] as NodeHealth];
}

/**
 * The cluster the pool follows: the identity remembered once it was clear, else the one most nodes
 * report. A tie between identities is a conflict: no node can be trusted until one side has more.
 */
function clusterIdentity(
  states: readonly NodeHealth[],
  remembered: string | undefined,
): { identity?: string; conflict?: readonly string[] } {
  if (remembered !== undefined) return { identity: remembered };
  const counts = new Map<string, number>();
  for (const s of states) {
    const id = s.probe?.identity;
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const most = Math.max(0, ...counts.values());
  const leaders = [...counts].filter(([, count]) => count === most).map(([id]) => id);
  if (leaders.length > 1) return { conflict: leaders };
  return { identity: leaders[0] };
}

function lagOf(probe: NodeProbe | undefined, primaryBytes: bigint | undefined): number | undefined {
  if (probe?.role !== 'replica' || probe.positionBytes === undefined || primaryBytes === undefined) {
    return undefined;
  }
  const lag = primaryBytes - probe.positionBytes;
  return lag > 0n ? Number(lag) : 0;
}

/** The fields whose change is worth a `topology` event (positions move on every probe; skip them). */
export function structuralKey(snapshot: TopologySnapshot): string {
  return JSON.stringify([
    snapshot.primary?.name ?? null,
    snapshot.generation,
    snapshot.splitBrain ?? null,
    snapshot.discovering ?? false,
    snapshot.identityConflict ?? null,
    snapshot.nodes.map((n) => [n.name, n.role, n.healthy, n.writable, n.suspect, n.excluded ?? null]),
  ]);
}

/**
 * The cluster as the app sees it, from `pool.topology()` and in every event that carries one: the
 * same shape for every engine. `position` and `generation` are the engine's (PostgreSQL: LSN and
 * timeline; MariaDB: GTID position and the GTID sequence at which the primary took over).
 */
export interface Topology extends Omit<TopologySnapshot, 'primary'> {
  /** `host:port` of the primary, or null while there is none. */
  readonly primary: string | null;
}

const views = new WeakMap<TopologySnapshot, Topology>();

/** The app's view of a snapshot (made once per snapshot: events and `topology()` share it). */
export function topologyView(snapshot: TopologySnapshot): Topology {
  let view = views.get(snapshot);
  if (!view) {
    view = Object.freeze({ ...snapshot, primary: snapshot.primary?.name ?? null });
    views.set(snapshot, view);
  }
  return view;
}

/** A usable Galera member other than the writer reads as 0 ms behind; the writer, and the rest, have none. */
function galeraMemberLag(galera: GaleraState, writer: boolean): number | undefined {
  return galera.usable && !writer ? 0 : undefined;
}
