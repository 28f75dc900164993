import pg from 'pg';
import { extendConfig } from './options';

/**
 * What the pool needs to know about each pg client that pg does not keep for us: the parameters
 * the server reported (PostgreSQL 14+ reports `in_hot_standby` at login and on promotion, which
 * makes the role check of a new connection free), whether the connection is still alive, and
 * what happened to the statement in flight.
 */
export class ClientState {
  readonly parameters = new Map<string, string>();
  alive = true;
  /** The statement under way was handed to the socket. */
  sent = false;
  /** Its text, kept to tell (only when it failed) whether it held several statements. */
  private text: string | undefined;
  /** Notices received since the statement under way started. */
  notices: unknown[] = [];
  /** For servers that do not report `in_hot_standby`: the answer of the one role query. */
  writable: boolean | undefined;

  beginStatement(text: string | undefined): void {
    this.sent = false;
    if (this.notices.length > 0) this.notices = [];
    this.text = text;
  }

  /** The text held more than one statement (conservatively: any inner semicolon). */
  get multiStatement(): boolean {
    return this.text?.replace(/[\s;]+$/, '').includes(';') ?? false;
  }
}

const states = new WeakMap<pg.ClientBase, ClientState>();

export function stateOf(client: pg.ClientBase): ClientState {
  let state = states.get(client);
  if (!state) {
    // A client made by another class (should not happen): treat it as knowing nothing.
    state = new ClientState();
    states.set(client, state);
  }
  return state;
}

/** Closes the client's socket at once, without the goodbye a hung server would never answer. */
export function destroySocket(client: pg.Client): void {
  client.connection.stream.destroy();
}

export type ClientClass = new (config?: string | pg.ClientConfig) => pg.Client;

/**
 * A subclass of the app's Client class (pg.Client unless `Client` was configured) that records its
 * state from the first byte on, and listens for `error` once for its whole life: a checked-out pg
 * client with no `error` listener crashes the process when its server dies (FACTS.md).
 */
export function trackedClientClass(Base: ClientClass, connectTimeoutMs: number): ClientClass {
  return class TrackedClient extends Base {
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
      const state = new ClientState();
      states.set(this, state);
      this.connection.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) => {
        state.parameters.set(message.parameterName, message.parameterValue);
      });
      this.on('notice', (notice) => {
        // Only the notices of the statement under way matter; keep a few, not a chatty session's all.
        if (state.notices.length < 32) state.notices.push(notice);
      });
      this.on('error', () => {
        state.alive = false;
      });
      this.on('end', () => {
        state.alive = false;
      });
    }
  };
}

export const defaultClientClass: ClientClass = pg.Client;
