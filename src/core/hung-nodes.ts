import type { Clock } from './clock';
import type { TopologySnapshot } from './topology';

interface Episode {
  /** When the monitor was first seen to have given the node up. */
  readonly since: number;
  abandoned: boolean;
  cancel: () => void;
}

/**
 * Watches for nodes that the monitor has given up on (their probes fail or time out) and, once one
 * has stayed so for `abandonAfterMs`, hands it to `abandon`: the engine then closes every connection
 * to it, checked out ones included. Without this, a statement sent to a node that froze with its
 * connections open (a stopped VM, a lost route) waits as long as TCP keeps the connection, which is
 * about 15 minutes on Linux, whatever `failover.waitForPrimaryMs` says.
 *
 * A node that answers a probe again before the time is up ends its episode: a long statement on a
 * node that still answers is never touched (the engine then looks for connections the outage left
 * dead, see DeadConnections). Each episode abandons a node at most once.
 */
export class HungNodes {
  /** The nodes given up now, each with its timer. */
  private readonly episodes = new Map<string, Episode>();

  constructor(
    private readonly abandonAfterMs: number,
    private readonly clock: Clock,
    private readonly on: {
      /** `node` has been given up for `abandonAfterMs`: close its connections. */
      readonly abandon: (node: string, downForMs: number) => void;
      /** `node` answers again before it was abandoned: statements sent meanwhile may have been lost. */
      readonly recovered: (node: string) => void;
    },
  ) {}

  /** Reads the monitor's latest word on every node. */
  update(snapshot: TopologySnapshot): void {
    for (const node of snapshot.nodes) {
      const episode = this.episodes.get(node.name);
      // `lastError`: a probe failed. A node not probed yet is neither healthy nor given up.
      const givenUp = !node.healthy && node.lastError !== undefined;
      if (!givenUp) {
        if (episode) {
          episode.cancel();
          this.episodes.delete(node.name);
          if (!episode.abandoned && node.healthy) this.on.recovered(node.name);
        }
        continue;
      }
      if (episode) continue;
      const since = this.clock.now();
      const entry: Episode = { since, abandoned: false, cancel: () => undefined };
      entry.cancel = this.clock.setTimer(
        () => {
          entry.abandoned = true;
          this.on.abandon(node.name, this.clock.now() - since);
        },
        this.abandonAfterMs,
        false,
      );
      this.episodes.set(node.name, entry);
    }
  }

  /** When the monitor gave up on `node`, if its connections were abandoned in this episode. */
  abandonedSince(node: string): number | undefined {
    const episode = this.episodes.get(node);
    return episode?.abandoned ? episode.since : undefined;
  }

  stop(): void {
    for (const episode of this.episodes.values()) episode.cancel();
    this.episodes.clear();
  }
}
