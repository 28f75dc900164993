import { open, stat } from 'node:fs/promises';
import { ServerProcess, type ServerProcessEnvironment } from './server-process';
import type { StopMode } from './test-cluster';

/** What mariadbd logs once it listens; the node is ready only when a line of *this* start says so. */
const READY = 'ready for connections';

/** One mariadbd (a single process, its work done by threads) on a loopback port and its data folder. */
export class MariadbServer extends ServerProcess {
  constructor(
    name: string,
    port: number,
    dataDir: string,
    readonly serverId: number,
    private readonly binary: string,
    environment: ServerProcessEnvironment,
  ) {
    super(name, port, dataDir, environment);
  }

  /**
   * Starts mariadbd with the command line `args` (the cluster's: a GTID replica's or a Galera
   * node's); resolves when it accepts connections.
   */
  async start(args: string[]): Promise<void> {
    const offset = await sizeOf(this.logFile);
    await this.launch(this.binary, args, () => logHasSince(this.logFile, offset, READY));
  }

  /** 'fast': a clean shutdown (SIGTERM); 'immediate': a crash (SIGKILL), recovered at the next start. */
  stop(mode: StopMode = 'fast'): Promise<void> {
    return this.halt(mode === 'fast' ? 'SIGTERM' : 'SIGKILL');
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function logHasSince(file: string, offset: number, text: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const size = (await handle.stat()).size;
    if (size <= offset) return false;
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8').includes(text);
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
