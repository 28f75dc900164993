import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** mysql2's `stream` option as a function: called with the connection's options, returns its socket. */
export type StreamFactory = (options: { config: SocketConfig }) => Duplex;

interface SocketConfig {
  host?: string;
  port?: number;
  localAddress?: string;
  enableKeepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/**
 * A `stream` factory for mysql2 that hands every socket it opens to `onSocket` first. This is how a
 * node's pool learns every socket it has, those still in the handshake included (mysql2's pool
 * offers no way to list them), so it can close them all at once. Without the app's own factory it
 * opens the socket as mysql2 itself would: TCP, no Nagle delay, keep-alive unless disabled.
 */
export function observedStreamFactory(
  onSocket: (socket: Duplex) => void,
  appFactory?: StreamFactory,
): StreamFactory {
  return (options) => {
    const socket = appFactory ? appFactory(options) : openSocket(options.config);
    onSocket(socket);
    return socket;
  };
}

/** Keeps `sockets` to the open sockets of a factory. */
export function trackIn(sockets: Set<Duplex>): (socket: Duplex) => void {
  return (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
}

/** Lets the process exit while only this socket is open (for the monitor's connections). */
export function unref(socket: Duplex): void {
  (socket as Partial<Pick<Socket, 'unref'>>).unref?.();
}

function openSocket(config: SocketConfig): Socket {
  const socket = connect({
    host: config.host,
    port: config.port ?? 3306,
    ...(config.localAddress ? { localAddress: config.localAddress } : {}),
  });
  socket.setNoDelay(true);
  if (config.enableKeepAlive !== false) {
    socket.once('connect', () => socket.setKeepAlive(true, config.keepAliveInitialDelay));
  }
  return socket;
}
