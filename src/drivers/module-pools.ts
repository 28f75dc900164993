import type { FailoverEvents } from '../core/events';

type Listener<K extends keyof FailoverEvents> = (...args: FailoverEvents[K]) => void;

/** A listener of any of failover-pool's events, as the pools take it (their overloads are per event). */
type AnyListener = (...args: never[]) => void;

/** What a driver module's pools must offer: failover-pool's events. */
interface EventedPool {
  on(event: keyof FailoverEvents, listener: AnyListener): unknown;
  off(event: keyof FailoverEvents, listener: AnyListener): unknown;
}

/** The members of a driver module (`createPgModule`, `createMysql2Module`) about the pools it makes. */
export interface ModulePoolsApi<Pool, Self> {
  /** Every pool the module made so far (the ORM's, and the one behind its single connections). */
  readonly pools: readonly Pool[];
  /** Listens to failover-pool's events of every pool the module makes, made already or later. */
  on<K extends keyof FailoverEvents>(event: K, listener: Listener<K>): Self;
  off<K extends keyof FailoverEvents>(event: K, listener: Listener<K>): Self;
  /** Ends every pool the module made (an ORM ends its own; this ends the one behind connections too). */
  end(): Promise<void>;
}

/** The pools a driver module made, and the app's listeners that every one of them gets. */
export class ModulePools<Pool extends EventedPool> {
  readonly pools: Pool[] = [];
  private readonly listeners: [keyof FailoverEvents, AnyListener][] = [];

  constructor(private readonly endPool: (pool: Pool) => Promise<void>) {}

  /** A pool the module just made: it gets every listener added so far. */
  adopt<P extends Pool>(pool: P): P {
    this.pools.push(pool);
    for (const [event, listener] of this.listeners) pool.on(event, listener);
    return pool;
  }

  /** The module's `on`, `off`, `end` and `pools`, answering `self` for chained calls. */
  api<Self>(self: () => Self): ModulePoolsApi<Pool, Self> {
    return {
      pools: this.pools,
      on: (event, listener) => {
        this.listeners.push([event, listener as unknown as AnyListener]);
        for (const pool of this.pools) pool.on(event, listener as unknown as AnyListener);
        return self();
      },
      off: (event, listener) => {
        const index = this.listeners.findIndex(([e, l]) => e === event && (l as unknown) === listener);
        if (index >= 0) this.listeners.splice(index, 1);
        for (const pool of this.pools) pool.off(event, listener as unknown as AnyListener);
        return self();
      },
      end: async () => {
        await Promise.all(this.pools.map(this.endPool));
      },
    };
  }
}
