import type { ComparePositions } from '../../dialects/positions';
import type { NodeView } from '../node';
import { PrimaryTrail } from '../promotion/primary-trail';
import type { TopologySnapshot } from '../topology';

/**
 * Writes the old primary had committed that the new one does not hold: possible after a failover
 * with asynchronous replication (or a synchronous one that fell back to asynchronous). The shop
 * reconciles its orders of that window instead of losing them silently.
 */
export interface WritesLostEvent {
  /** The primary that had the writes. */
  readonly from: string;
  /** The new primary, which lacks them. */
  readonly to: string;
  /** The newest position the old primary was known at: its last probe, or a causal token this pool handed out. */
  readonly lastKnownPosition: string;
  /** The new primary's position at its last probe as a replica (where its history left the old one's), when seen. */
  readonly newPrimaryPosition?: string;
  /** The missing writes were committed after this moment (to within one probe interval)... */
  readonly since: Date;
  /** ...and up to at least this one (later ones, unseen by this pool, may be missing too). */
  readonly until: Date;
  /** `until - since`, in milliseconds. */
  readonly windowMs: number;
  /** True when only a causal token this pool handed out showed the writes (the probes had not). */
  readonly fromToken: boolean;
}

/** A position a node reported, and when it was read (at the latest). */
interface Seen {
  readonly position: string;
  readonly at: number;
}

/** The primary as last probed: `at` its answer, `startedAt` the probe's start. */
interface OldPrimary extends Seen {
  readonly name: string;
  readonly startedAt: number;
}

/** How long the old primary's positions are kept: the window a lost range can be dated within. */
const TRAIL_KEEP_MS = 10 * 60_000;

/**
 * Watches every snapshot for a change of primary. Whether the new primary holds the old one's last
 * known position (from the monitor's probes, and the causal tokens this pool handed out) comes from
 * the new primary's own probe, exact: its lineage (NodeProbe.lineage: PostgreSQL the WAL it had
 * replayed when promoted; MariaDB the last GTID of each server it has; MySQL its GTID set), read by
 * Dialect.holdsPosition, with no query of its own. Where the lineage cannot tell (a PostgreSQL
 * primary restarted since its promotion), the new primary's last position as a replica decides, if
 * that probe started after the old primary's last answer (as after a crash, when the pool probes
 * every node every `monitor.fastIntervalMs` until the new primary appears); else nothing is said.
 * The lost writes are dated by the old primary's positions in the probes.
 */
export class WritesLostDetector {
  private readonly trail = new PrimaryTrail(TRAIL_KEEP_MS);
  private readonly asReplica = new Map<string, Seen>();
  private primary: OldPrimary | undefined;
  private token: (Seen & { readonly primary: string }) | undefined;

  constructor(
    private readonly compare: ComparePositions,
    private readonly holds: (lineage: string, position: string) => boolean | undefined,
    /** Turns the monitor's clock into wall-clock time for the event. */
    private readonly wallClock: (monotonicMs: number) => Date,
    private readonly debug: (message: string) => void = () => undefined,
  ) {}

  /** A causal token was handed out: what `primary` held at `position` at `at` (monitor clock). */
  tokenIssued(primary: string, position: string, at: number): void {
    const known = this.token?.primary === primary ? this.token.position : undefined;
    if (known === undefined || (this.compare(position, known) ?? 0) > 0) {
      this.token = { primary, position, at };
    }
  }

  /** Every snapshot; returns the event when this one shows a new primary that lacks writes. */
  update(snapshot: TopologySnapshot): WritesLostEvent | undefined {
    for (const node of snapshot.nodes) {
      const { position, answeredAt } = node;
      if (node.role !== 'replica' || !node.healthy || position === undefined || answeredAt === undefined)
        continue;
      // Read after the probe started: dated at its start, the replica held at least this from then on.
      this.asReplica.set(node.name, { position, at: answeredAt - (node.probeMs ?? 0) });
    }
    const next = snapshot.primary;
    if (!next || next.position === undefined || next.answeredAt === undefined) return undefined;
    const previous = this.primary;
    // The check reads the old primary's trail: before the new one starts its own.
    const lost = previous && previous.name !== next.name ? this.check(previous, next) : undefined;
    // A primary's position is dated at the probe's answer (the writes it holds were made before
    // then) and, in the trail, at its start (writes the probe may have missed began after it):
    // both widen the window a lost range is reported in, never narrow it.
    const startedAt = next.answeredAt - (next.probeMs ?? 0);
    this.primary = { name: next.name, position: next.position, at: next.answeredAt, startedAt };
    this.trail.record(next.name, next.position, startedAt);
    return lost;
  }

  private check(old: OldPrimary, next: NodeView): WritesLostEvent | undefined {
    const forked = this.asReplica.get(next.name);
    let known = { position: old.position, at: old.at, fromToken: false };
    const token = this.token?.primary === old.name ? this.token : undefined;
    if (token && (this.compare(token.position, known.position) ?? 0) > 0) {
      known = { position: token.position, at: Math.max(token.at, old.at), fromToken: true };
    }
    if (!this.lacks(next, forked, old, known.position)) return undefined;
    // The last moment the old primary was at a position the new one holds: the lost writes came
    // after it. Without the new one's position, the whole trail (a wider window, never a narrower).
    const behind = this.trail.behind(old.name, forked?.position ?? '', this.compare);
    const since = this.wallClock(old.startedAt - (behind?.behindMs ?? 0));
    const until = this.wallClock(known.at);
    return {
      from: old.name,
      to: next.name,
      lastKnownPosition: known.position,
      ...(forked && { newPrimaryPosition: forked.position }),
      since,
      until,
      // From the two Dates, not the monotonic times: each Date drops the sub-millisecond part on
      // its own, so rounding the monotonic difference could disagree with until - since by 1 ms.
      windowMs: until.getTime() - since.getTime(),
      fromToken: known.fromToken && !this.lacks(next, forked, old, old.position),
    };
  }

  /** Whether the new primary lacks `position`: its lineage says, else a fresh enough replica position. */
  private lacks(next: NodeView, forked: Seen | undefined, old: OldPrimary, position: string): boolean {
    const held = next.lineage === undefined ? undefined : this.holds(next.lineage, position);
    if (held !== undefined) return !held;
    if (forked === undefined || forked.at < old.at) {
      this.debug(`nothing tells whether ${next.name} lacks writes of ${old.name}`);
      return false;
    }
    return (this.compare(forked.position, position) ?? 0) < 0;
  }
}
