import { createServer, type Server } from 'node:net';
import { afterEach } from 'vitest';

/**
 * Loopback TCP servers that are not databases: one that accepts and says nothing, one that
 * accepts and hangs up at once. Each closes after the test that opened it.
 */
export function useFakeServers() {
  const open: Server[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });
  const listen = (onSocket: Parameters<typeof createServer>[1]) =>
    new Promise<number>((resolve) => {
      const server = createServer(onSocket);
      open.push(server);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  return {
    /** A port where connections are accepted and never answered. */
    silent: () =>
      listen((socket) => {
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
      }),
    /** A port where every connection is accepted, then destroyed. */
    hangingUp: () => listen((socket) => socket.destroy()),
    /** A loopback port nothing listens on (it was free a moment ago). */
    refusing: async () => {
      const server = createServer();
      const port = await new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : 0);
        }),
      );
      await new Promise((resolve) => server.close(resolve));
      return port;
    },
  };
}
