import type { Clock } from './clock';
import { NoPrimaryError, SplitBrainError } from './errors';
import type { NodeView } from './node';
import type { TopologySnapshot } from './topology';

interface Waiter {
  resolve(node: NodeView): void;
  reject(error: unknown): void;
  cancelTimer(): void;
  since: number;
}

export interface RouterOptions {
  readonly maxWaiting: number;
  /** The option that bounds the wait, for messages. */
  readonly waitForPrimaryOption: string;
}

/**
 * Picks the node for a write from the latest snapshot. With no primary, callers wait in a bounded
 * queue until one appears or their deadline passes; it never picks a node by configuration order.
 */
export class Router {
  private snapshot: TopologySnapshot;
  /** Set while no node can be used for a reason waiting will not cure; callers get it at once. */
  private fatal: unknown;
  private readonly waiters = new Set<Waiter>();

  constructor(
    initial: TopologySnapshot,
    private readonly options: RouterOptions,
    private readonly clock: Clock,
    private readonly onWaitingChange: (count: number) => void,
  ) {
    this.snapshot = initial;
  }

  get waitingCount(): number {
    return this.waiters.size;
  }

  /** Called by the monitor with every new snapshot. */
  update(snapshot: TopologySnapshot, fatal: unknown = undefined): void {
    this.snapshot = snapshot;
    this.fatal = fatal;
    if (fatal !== undefined && !snapshot.primary) {
      this.rejectAll(fatal);
      return;
    }
    const primary = snapshot.primary;
    if (!primary || this.waiters.size === 0) return;
    for (const waiter of this.takeAll()) waiter.resolve(primary);
  }

  /** The primary right now, if there is one (the path of every statement: no promise). */
  current(): NodeView | null {
    return this.snapshot.primary;
  }

  /** The primary now, or after waiting until `deadline` (a clock time). */
  primary(deadline: number): Promise<NodeView> {
    const primary = this.snapshot.primary;
    if (primary) return Promise.resolve(primary);
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    const now = this.clock.now();
    if (deadline <= now) return Promise.reject(this.timeoutError(0));
    if (this.waiters.size >= this.options.maxWaiting) {
      return Promise.reject(
        new NoPrimaryError(
          'queue-full',
          `No primary, and ${this.waiters.size} callers already wait for one (failover.maxWaiting). ` +
            `${describeNodes(this.snapshot)} Raise failover.maxWaiting, or shed load while the cluster fails over.`,
          0,
        ),
      );
    }
    return new Promise<NodeView>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        since: now,
        cancelTimer: this.clock.setTimer(
          () => {
            this.remove(waiter);
            reject(this.timeoutError(this.clock.now() - waiter.since));
          },
          deadline - now,
          true,
        ),
      };
      this.waiters.add(waiter);
      this.onWaitingChange(this.waiters.size);
    });
  }

  /** Rejects every waiter, e.g. when the pool ends. */
  rejectAll(error: unknown): void {
    for (const waiter of this.takeAll()) waiter.reject(error);
  }

  /** Every waiter, out of the queue and with its timer cancelled, for the caller to settle. */
  private takeAll(): Waiter[] {
    const all = [...this.waiters];
    this.waiters.clear();
    this.onWaitingChange(0);
    for (const waiter of all) waiter.cancelTimer();
    return all;
  }

  private remove(waiter: Waiter): void {
    this.waiters.delete(waiter);
    this.onWaitingChange(this.waiters.size);
  }

  private timeoutError(waitedMs: number): Error {
    const s = this.snapshot;
    if (s.splitBrain) {
      return new SplitBrainError(
        s.splitBrain,
        `Split brain: ${s.splitBrain.join(' and ')} both accept writes at generation ${s.generation}; ` +
          'no write is sent to either. Demote all but one of them (the pool follows at once).',
      );
    }
    return new NoPrimaryError(
      'timeout',
      `No primary within ${Math.round(waitedMs)} ms (timeout: ${this.options.waitForPrimaryOption}). ${describeNodes(s)}`,
      waitedMs,
    );
  }
}

/** One line per node, for error messages: what the pool saw when it gave up. */
export function describeNodes(snapshot: TopologySnapshot): string {
  const parts = snapshot.nodes.map((n) => {
    if (!n.healthy) return `${n.name} down${n.lastError ? ` (${n.lastError})` : ''}`;
    if (n.excluded) return `${n.name} ${n.role}, not used: ${n.excluded}`;
    if (n.suspect) return `${n.name} ${n.role}, being re-checked`;
    return `${n.name} ${n.role}${n.role === 'primary' && !n.writable ? ' (read-only)' : ''}`;
  });
  const conflict = snapshot.identityConflict
    ? ` The nodes belong to different clusters (identities ${snapshot.identityConflict.join(', ')}) in equal numbers; ` +
      'none is used until that is fixed in `hosts`.'
    : '';
  return `Nodes: ${parts.join('; ')}.${conflict}`;
}
