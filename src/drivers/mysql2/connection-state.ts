import type { Duplex } from 'node:stream';
import type mysql from 'mysql2';
import { ConnectionState } from '../../core/connection-state';

/** Any mysql2 connection: a pooled one, a probe connection. */
export type AnyConnection = mysql.Connection | mysql.PoolConnection;

/** Where the pool keeps its bookkeeping on a mysql2 connection (mysql2 creates them, not us). */
const STATE = Symbol('failover-pool state');

type Tracked = AnyConnection & { [STATE]?: ConnectionState };

/**
 * The state of `connection`, created (with its listeners) the first time it is asked for. The
 * `error` listener stays for the connection's whole life: mysql2 emits `error` on a connection
 * whose server died, and with no listener left (its pool's is a `once`) that crashes the process.
 */
export function stateOf(connection: AnyConnection): ConnectionState {
  const tracked = connection as Tracked;
  let state = tracked[STATE];
  if (!state) {
    const created = new ConnectionState();
    state = created;
    Object.defineProperty(tracked, STATE, { value: created });
    connection.on('error', () => {
      created.alive = false;
    });
    connection.on('end', () => {
      created.alive = false;
    });
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
