/** Tiny TCP servers and clients for the fault proxy tests. */
import net, { type Socket } from 'node:net';

export interface TestServer {
  readonly port: number;
  /** Every chunk the server received, in order, across connections. */
  readonly chunks: Buffer[];
  readonly sockets: Set<Socket>;
  received(): Buffer;
  close(): Promise<void>;
}

/**
 * `echo` writes back what it reads; `hold` reads and never answers; a function gets each
 * socket to do as it likes.
 */
export async function startServer(mode: 'echo' | 'hold' | ((socket: Socket) => void)): Promise<TestServer> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (mode === 'echo' && socket.writable) socket.write(chunk);
    });
    if (typeof mode === 'function') mode(socket);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    chunks,
    sockets,
    received: () => Buffer.concat(chunks),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client socket that records everything that happens to it. */
export class TestClient {
  received: Buffer = Buffer.alloc(0);
  error: NodeJS.ErrnoException | undefined;
  ended = false;
  closed = false;
  readonly whenClosed: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TestClient(socket));
      });
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves once `n` bytes have arrived; rejects after `timeoutMs` or if the socket closes first. */
  waitForBytes(n: number, timeoutMs = 2000): Promise<Buffer> {
    return this.waitUntil(() => this.received.length >= n, timeoutMs, `${n} bytes`).then(() => this.received);
  }

  /** Resolves once the socket is closed; rejects after `timeoutMs`. */
  waitClosed(timeoutMs = 2000): Promise<void> {
    return this.waitUntil(() => this.closed, timeoutMs, 'close');
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.whenClosed;
  }

  private waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (done()) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        if (this.closed) {
          clearTimeout(timer);
          reject(new Error(`socket closed before ${what} (error: ${this.error?.code ?? 'none'})`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Connect and expect failure; resolves with the error code. */
export function connectError(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error('connected, expected a refusal'));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

/**
 * Connect and wait for the socket to close; resolves with the error code seen, during the
 * connect or after it (undefined for a clean close).
 */
export function connectOutcome(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 2000,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let code: string | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connection stayed open'));
    }, timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      code = err.code;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** TCP handles alive in this process (sockets and listeners), by libuv's own count. */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
