/**
 * Notes the moment a node becomes writable, from its own connection polled every few milliseconds.
 * The harness's promote() returns a little after that moment, and a planned switchover does not say
 * at all; the bench needs the moment itself to measure "from writable". Each engine supplies the
 * question (PostgreSQL: left recovery; MariaDB: read_only off) and how to close its connection.
 */
export interface WritableWatch {
  /** performance.now() of the first poll that saw the node writable; undefined until then. */
  readonly writableAt: number | undefined;
  stop(): Promise<void>;
}

const POLL_MS = 5;

export function pollWritable(isWritable: () => Promise<boolean>, close: () => Promise<void>): WritableWatch {
  let writableAt: number | undefined;
  let running = true;
  const loop = (async () => {
    while (running && writableAt === undefined) {
      const asked = performance.now();
      try {
        // The answer reflects the state at some point between asking and hearing back; the midpoint
        // halves the error of either end.
        if (await isWritable()) writableAt = (asked + performance.now()) / 2;
      } catch {
        // A restarting node drops the connection: the caller falls back to its own time.
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  return {
    get writableAt() {
      return writableAt;
    },
    async stop() {
      running = false;
      await loop;
      await close().catch(() => undefined);
    },
  };
}
