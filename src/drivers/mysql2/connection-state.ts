import type { Duplex } from 'node:stream';
import type mysql from 'mysql2';

/**
 * What the pool needs to know about each mysql2 connection that mysql2 does not keep for it:
 * whether the connection is still alive, whether the statement under way was handed to it, and
 * whether its session was found writable.
 */
export class ConnectionState {
  alive = true;
  /** The statement under way was handed to the connection. */
  sent = false;
  /** The statement text may hold several statements (with `multipleStatements`): a part may have committed. */
  multiStatement = false;
  /** The answer of the one role check every new connection gets. */
  writable: boolean | undefined;

  beginStatement(sql: string | undefined, multipleStatements: boolean): void {
    this.sent = false;
    this.multiStatement = multipleStatements && (sql?.replace(/[\s;]+$/, '').includes(';') ?? false);
  }
}

/** Any mysql2 connection: a pooled one, a probe connection. */
export type AnyConnection = mysql.Connection | mysql.PoolConnection;

const states = new WeakMap<object, ConnectionState>();

/**
 * The state of `connection`, created (with its listeners) the first time it is asked for. The
 * `error` listener stays for the connection's whole life: mysql2 emits `error` on a connection
 * whose server died, and with no listener left (its pool's is a `once`) that crashes the process.
 */
export function stateOf(connection: AnyConnection): ConnectionState {
  let state = states.get(connection);
  if (!state) {
    const created = new ConnectionState();
    states.set(connection, created);
    connection.on('error', () => {
      created.alive = false;
    });
    connection.on('end', () => {
      created.alive = false;
    });
    state = created;
  }
  return state;
}

/** mysql2 keeps the socket (or the TLS socket over it) on `stream`, which its typings do not show. */
function socketOf(connection: AnyConnection): Duplex | undefined {
  return (connection as unknown as { stream?: Duplex }).stream;
}

export function isAlive(connection: AnyConnection): boolean {
  const socket = socketOf(connection);
  return stateOf(connection).alive && !(socket?.destroyed ?? false);
}

/**
 * Closes a connection at once, without the goodbye a hung server would never answer. Closing
 * the socket (rather than mysql2's `destroy()`, which only half-closes it and marks the connection
 * as closing) also fails a statement still under way with PROTOCOL_CONNECTION_LOST, so nobody waits
 * on it forever.
 */
export function closeSocket(connection: AnyConnection): void {
  socketOf(connection)?.destroy();
}
