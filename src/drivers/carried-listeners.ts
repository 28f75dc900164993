import type { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => void;

/** EventEmitter methods that add a listener. */
const ADDERS = new Set<PropertyKey>(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
/** EventEmitter methods that remove listeners. */
const REMOVERS = new Set<PropertyKey>(['off', 'removeListener', 'removeAllListeners']);

interface Carried {
  readonly method: string;
  readonly event: string | symbol;
  readonly listener: Listener;
}

/**
 * The listeners an app adds to a connection it checked out (TypeORM adds an `error` listener to
 * every client it takes). While the connection's first statement may still move to a fresh
 * connection, they move with it: a listener must not change what the pool re-runs. A `once`
 * listener that has fired is moved too (the emitter no longer holds it, this list does).
 */
export class CarriedListeners {
  private entries: Carried[] = [];

  /** Whether `property` adds or removes listeners: `wrap` handles it. */
  static handles(property: PropertyKey): boolean {
    return ADDERS.has(property) || REMOVERS.has(property);
  }

  /**
   * The method `property` of `target`, recording what it adds or removes; it returns `self` (the
   * object the app holds) as EventEmitter's methods return the emitter.
   */
  wrap(target: EventEmitter, property: string, self: unknown): (...args: unknown[]) => unknown {
    return (...args: unknown[]) => {
      (target[property as keyof EventEmitter] as (...a: unknown[]) => unknown).apply(target, args);
      const [event, listener] = args as [string | symbol | undefined, Listener | undefined];
      if (ADDERS.has(property) && event !== undefined && typeof listener === 'function') {
        this.entries.push({ method: property, event, listener });
      } else if (property === 'removeAllListeners') {
        this.entries = event === undefined ? [] : this.entries.filter((e) => e.event !== event);
      } else if (REMOVERS.has(property)) {
        const i = this.entries.findLastIndex((e) => e.event === event && e.listener === listener);
        if (i >= 0) this.entries.splice(i, 1);
      }
      return self;
    };
  }

  /** The session moved from `from` to `to`: its listeners go along, in the order they were added. */
  move(from: EventEmitter, to: EventEmitter): void {
    for (const { method, event, listener } of this.entries) {
      from.removeListener(event, listener);
      (to[method as keyof EventEmitter] as (e: string | symbol, l: Listener) => unknown).call(
        to,
        event,
        listener,
      );
    }
  }

  /** A new checkout: nothing carried yet. */
  clear(): void {
    this.entries = [];
  }
}
