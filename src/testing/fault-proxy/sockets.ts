/** Closing sockets the way a test wants them closed, without ever throwing. */
import type { Socket } from 'node:net';

/** How long a FIN close waits for queued bytes to flush before destroying anyway. */
const FLUSH_WAIT_MS = 1000;

/**
 * Send a TCP RST and destroy. The peer sees ECONNRESET, except (Linux) a peer that still had
 * unread bytes when the RST arrived: it reads them, then sees EOF.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    // Not connected yet: there is no connection to reset.
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * Half-close after the bytes already written (also those written while still connecting),
 * then destroy: the peer sees EOF. Destroys anyway if the bytes cannot be flushed in time.
 */
export function closeSocket(socket: Socket): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), FLUSH_WAIT_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => socket.destroy());
  socket.end();
}
