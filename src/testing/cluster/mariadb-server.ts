import { open, stat } from 'node:fs/promises';
import { type NodeSettings, serverArgs } from './mariadb-config';
import type { ServerSignal } from './process-group';
import { ServerProcess, type ServerProcessEnvironment } from './server-process';

/** What mariadbd logs once it listens; the node is ready only when a line of *this* start says so. */
const READY = 'ready for connections';

/** One mariadbd (a single process, its work done by threads) on a loopback port and its data folder. */
export class MariadbServer {
  private readonly process: ServerProcess;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    readonly serverId: number,
    private readonly binary: string,
    environment: ServerProcessEnvironment,
  ) {
    this.process = new ServerProcess(name, port, dataDir, environment);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  get logFile(): string {
    return this.process.logFile;
  }

  failure(message: string, cause?: unknown): Error {
    return this.process.failure(message, cause);
  }

  /** Starts mariadbd with `settings`; resolves when it accepts connections. */
  async start(settings: NodeSettings): Promise<void> {
    const offset = await sizeOf(this.logFile);
    await this.process.start(this.binary, serverArgs(settings), () =>
      logHasSince(this.logFile, offset, READY),
    );
  }

  /** Every process of the node (see process-group.ts): SIGKILL is a crash, SIGSTOP a hang. */
  kill(signal: ServerSignal): number[] {
    return this.process.kill(signal);
  }

  /** 'fast': a clean shutdown (SIGTERM); 'immediate': a crash (SIGKILL), recovered at the next start. */
  stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    return this.process.stop(mode === 'fast' ? 'SIGTERM' : 'SIGKILL');
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
