import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverArgs } from './postgres-config';
import { ServerProcess, type ServerProcessEnvironment } from './server-process';
import type { StopMode } from './test-cluster';

/** One postmaster on a loopback port and its data folder. */
export class PostgresServer extends ServerProcess {
  constructor(
    name: string,
    port: number,
    dataDir: string,
    private readonly binDir: string,
    environment: ServerProcessEnvironment,
  ) {
    super(name, port, dataDir, environment);
  }

  /** Starts the postmaster; resolves when it accepts connections (as a primary or a hot standby). */
  start(timeoutMs = 60_000): Promise<void> {
    return this.launch(
      join(this.binDir, 'postgres'),
      serverArgs(this.dataDir, this.port),
      () => this.acceptsConnections(),
      timeoutMs,
    );
  }

  /**
   * postmaster.pid line 8 is the postmaster's own status: "ready" (primary) or "standby" (hot standby
   * accepting read-only connections); it is only set once the socket listens.
   */
  private async acceptsConnections(): Promise<boolean> {
    try {
      const lines = (await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n');
      if (Number(lines[0]) !== this.pid) return false;
      const status = lines[7]?.trim();
      return status === 'ready' || status === 'standby';
    } catch {
      return false;
    }
  }

  /**
   * Shuts down: 'fast' (SIGINT: roll back sessions, shutdown checkpoint, WAL shipped to standbys) or
   * 'immediate' (SIGQUIT: no checkpoint, crash recovery at next start). Resolves when every process exited.
   * Signals go to the postmaster only: to a backend, SIGINT means "cancel".
   */
  stop(mode: StopMode = 'fast', timeoutMs = 60_000): Promise<void> {
    return this.halt(mode === 'fast' ? 'SIGINT' : 'SIGQUIT', timeoutMs);
  }
}
