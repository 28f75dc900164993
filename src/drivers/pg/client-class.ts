import pg from 'pg';
import { ConnectionState } from '../../core/connection-state';
import { extendConfig } from './options';
import type { ClientFacade } from './pinned-client';

/** A pg client as the pool makes them: the app's Client class, with the pool's bookkeeping. */
export interface TrackedClient extends pg.Client {
  /** What the pool must know about the connection and its statement under way. */
  readonly failoverState: ConnectionState;
  /**
   * The parameters the server reported (ParameterStatus). PostgreSQL 14+ reports `in_hot_standby`
   * at login and on promotion, which makes the role check of a new connection free.
   */
  readonly serverParameters: ReadonlyMap<string, string>;
  /** Handed out by its node pool and not given back yet. */
  lentOut: boolean;
  /** What the app sees of this client (pinned-client.ts), once it has seen it. */
  facade: ClientFacade | undefined;
}

export type ClientClass = new (config?: string | pg.ClientConfig) => pg.Client;

/**
 * A subclass of the app's Client class (pg.Client unless `Client` was configured) that records its
 * state from the first byte on, and listens for `error` once for its whole life: a checked-out pg
 * client with no `error` listener crashes the process when its server dies (pg.Pool listens only on
 * idle clients), and a listener added on every checkout would pile up.
 */
export function trackedClientClass(Base: ClientClass, connectTimeoutMs: number): ClientClass {
  return class FailoverClient extends Base implements TrackedClient {
    readonly failoverState = new ConnectionState();
    readonly serverParameters = new Map<string, string>();
    lentOut = false;
    facade: ClientFacade | undefined = undefined;

    constructor(config?: string | pg.ClientConfig) {
      const options: pg.ClientConfig =
        typeof config === 'string' ? { connectionString: config } : (config ?? {});
      // pg waits forever for a server that accepts TCP but never answers (a hung host); every
      // connect here has a limit. pg-pool's own option of the same name, which also bounds the wait
      // for a free pooled client, is left as the app set it.
      super(
        options.connectionTimeoutMillis
          ? options
          : extendConfig(options, { connectionTimeoutMillis: connectTimeoutMs }),
      );
      const state = this.failoverState;
      const parameters = this.serverParameters;
      // A Client class of the app's own may have no pg Connection (pg-pool asks only for connect and
      // the EventEmitter methods); it then reports no parameters.
      this.connection?.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) => {
        parameters.set(message.parameterName, message.parameterValue);
      });
      this.on('notice', (notice) => state.addNotice(notice));
      this.on('error', () => {
        state.alive = false;
      });
      this.on('end', () => {
        state.alive = false;
      });
    }
  };
}

/** The pool's bookkeeping of a client it made. */
export function trackingOf(client: pg.ClientBase): TrackedClient {
  return client as TrackedClient;
}

/** Closes the client's socket at once, without the goodbye a hung server would never answer. */
export function destroySocket(client: pg.Client): void {
  const stream = (client as Partial<pg.Client>).connection?.stream;
  if (stream) stream.destroy();
  else (client as Partial<pg.Client>).end?.().catch(() => undefined);
}

/** Connects with pg-pool's callback form, which every Client class pg-pool takes must have. */
export function connectClient(client: pg.Client): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    (client.connect as (callback: (error?: Error) => void) => void).call(client, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

export const defaultClientClass: ClientClass = pg.Client;
