import type { ComparePositions } from '../../dialects/positions';

/** One position the primary reported, and the span of time it was seen at it. */
interface Mark {
  readonly position: string;
  readonly firstAt: number;
  lastAt: number;
}

/** How far a replica is behind the primary it would replace, as far as this pool saw it. */
export interface Behind {
  /**
   * How long the primary went on writing after the newest position the replica holds, to within
   * one probe interval: 0 when it holds the last position seen. When it holds none of the positions
   * kept, the span they cover (a lower bound).
   */
  readonly behindMs: number;
  /** The last position the primary was seen at. */
  readonly primaryPosition: string;
}

/**
 * The positions one primary reported in the monitor's probes, with when, for the last `keepMs` of
 * its life: the "last known position" a promotion measures its candidate against (rule 3 of
 * docs/promotion.md). A replica that lacks writes the primary made more than
 * `promotion.maxBehindMs` before it was lost is not promoted without a person.
 */
export class PrimaryTrail {
  private node: string | undefined;
  private marks: Mark[] = [];

  constructor(private readonly keepMs: number) {}

  /** The primary `node` answered a probe at `position` (a new primary starts a new trail). */
  record(node: string, position: string, now: number): void {
    if (node !== this.node) {
      this.node = node;
      this.marks = [];
    }
    const last = this.marks.at(-1);
    if (last?.position === position) last.lastAt = now;
    else this.marks.push({ position, firstAt: now, lastAt: now });
    // Keep one mark older than the window: the newest one a lagging replica may still hold.
    while (this.marks.length > 2 && (this.marks[1] as Mark).lastAt < now - this.keepMs) this.marks.shift();
  }

  /** How far `position` is behind what `node` was last seen at; undefined when this trail is not of `node`. */
  behind(node: string, position: string, compare: ComparePositions): Behind | undefined {
    const last = this.marks.at(-1);
    if (node !== this.node || !last) return undefined;
    for (let i = this.marks.length - 1; i >= 0; i--) {
      const mark = this.marks[i] as Mark;
      const order = compare(position, mark.position);
      if (order !== undefined && order >= 0) {
        // Writes it lacks began after the primary was last seen at this mark's position.
        return {
          behindMs: i === this.marks.length - 1 ? 0 : Math.round(last.lastAt - mark.lastAt),
          primaryPosition: last.position,
        };
      }
    }
    return {
      behindMs: Math.round(last.lastAt - (this.marks[0] as Mark).firstAt),
      primaryPosition: last.position,
    };
  }
}
