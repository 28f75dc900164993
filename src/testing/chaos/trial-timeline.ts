/**
 * A trial's timeline, and every node made primary during it, whoever made it: the harness (its
 * cluster's `primary` follows its own promotions) or the app's pools (promotion by the library,
 * which the harness does not see: the trial tells the timeline).
 */
import type { TestCluster } from '../cluster/test-cluster';
import type { TimelineEvent } from './types';

/** An event at its performance.now() time; `atMs` is set when the result is made. */
export type StampedEvent = TimelineEvent & { at: number };

export class TrialTimeline {
  readonly events: StampedEvent[] = [];
  /** Every node made primary during the trial, the first one included. */
  readonly primaries: Set<string>;
  private promotedByLibrary: string | undefined;

  constructor(private readonly cluster: TestCluster) {
    this.primaries = new Set([cluster.primary]);
  }

  /** FaultContext.mark. A harness promotion has moved `cluster.primary` by the time it is marked. */
  mark(label: string, kind: TimelineEvent['kind']): void {
    this.events.push({ at: performance.now(), atMs: 0, label, kind });
    this.primaries.add(this.cluster.primary);
  }

  /** An app instance promoted `node`. */
  libraryPromoted(node: string, label: string): void {
    this.events.push({ at: performance.now(), atMs: 0, label, kind: 'promote' });
    this.primaries.add(node);
    this.promotedByLibrary = node;
  }

  /** The node that must hold every acknowledged write at the end. */
  finalPrimary(): string {
    this.primaries.add(this.cluster.primary);
    return this.promotedByLibrary ?? this.cluster.primary;
  }
}
