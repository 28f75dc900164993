/**
 * Promotion by the library as a trial sees it: what each app instance reports goes on the timeline
 * (its promotions, the fencing of a former primary) or into the counts of reasons for not
 * promoting, and a fault can wait for a promotion or a fencing.
 */
import type { TrialTimeline } from './trial-timeline';
import type { LibraryPromotion, LibraryPromotionEvent } from './types';

export class PromotionWatch implements LibraryPromotion {
  /** Why instances did not promote, by reason ('another-instance-promotes' from those that lost the race...). */
  readonly skips: Record<string, number> = {};
  /** What the instances were expected to do and did not (a former primary never fenced). */
  readonly failures: string[] = [];
  private readonly promotedNodes: string[] = [];
  private readonly fencedNodes = new Set<string>();
  /** Waiters of `until`, woken by every event. */
  private readonly waiting = new Set<() => void>();

  constructor(private readonly timeline: TrialTimeline) {}

  /** The listener for app instance `name` (ChaosCluster.watchPromotion). */
  listenerFor(name: string): (event: LibraryPromotionEvent) => void {
    return (event) => {
      this.record(name, event);
      for (const wake of [...this.waiting]) wake();
    };
  }

  promoted(timeoutMs: number): Promise<string> {
    return this.until(
      () => this.promotedNodes[0],
      `no app instance promoted a replica within ${timeoutMs} ms`,
      timeoutMs,
    );
  }

  async fenced(node: string, timeoutMs: number): Promise<void> {
    try {
      await this.until(
        () => this.fencedNodes.has(node) || undefined,
        `no app instance fenced ${node} within ${timeoutMs} ms`,
        timeoutMs,
      );
    } catch (error) {
      this.failures.push((error as Error).message);
      this.timeline.mark(`${node} not fenced`, 'other');
    }
  }

  private record(app: string, event: LibraryPromotionEvent): void {
    switch (event.kind) {
      case 'promotionStarted':
        this.timeline.mark(`${app} promoting`, 'other');
        break;
      case 'promoted': {
        this.promotedNodes.push(event.node);
        const stranded = event.notRepointed.length ? `, ${event.notRepointed.join(', ')} not repointed` : '';
        this.timeline.libraryPromoted(
          event.node,
          `${app} promoted ${event.node} (${event.tookMs} ms${stranded})`,
        );
        break;
      }
      case 'promotionSkipped':
        this.skips[event.reason] = (this.skips[event.reason] ?? 0) + 1;
        break;
      case 'repointed':
        this.timeline.mark(`${app} repointed ${event.node}`, 'other');
        break;
      case 'fenced':
        // Every instance that sees the former primary fences it; the first one is the news.
        if (!this.fencedNodes.has(event.node)) this.timeline.mark(`${app} fenced ${event.node}`, 'heal');
        this.fencedNodes.add(event.node);
        break;
    }
  }

  /** Resolves with `found()` once it is defined; rejects after `timeoutMs`, saying why instances skipped. */
  private until<T>(found: () => T | undefined, failure: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(check);
      };
      const check = () => {
        const value = found();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        const skipped = Object.entries(this.skips).map(([reason, count]) => `${reason} x${count}`);
        reject(new Error(skipped.length ? `${failure} (skipped: ${skipped.join(', ')})` : failure));
      }, timeoutMs);
      this.waiting.add(check);
      check();
    });
  }
}
