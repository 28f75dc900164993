import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverArgs } from './postgres-config';
import type { ServerSignal } from './process-group';
import type { RunAs } from './run-as';
import { failureWithLog, logTail, ServerProcess } from './server-process';

export { failureWithLog, logTail };

export interface ServerEnvironment {
  binDir: string;
  runAs: RunAs | undefined;
  env: NodeJS.ProcessEnv;
  /** Called whenever the postmaster pid changes, so the reaper's state file stays current. */
  onChange: () => void;
  /** True once the cluster is being destroyed: waits give up at once. */
  isDestroyed: () => boolean;
}

/** One postmaster on a loopback port and its data folder. */
export class PostgresServer {
  private readonly process: ServerProcess;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly environment: ServerEnvironment,
  ) {
    this.process = new ServerProcess(name, port, dataDir, environment);
  }

  get logFile(): string {
    return this.process.logFile;
  }

  /** The postmaster's pid while it runs. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  logTail(lines = 25): string {
    return this.process.logTail(lines);
  }

  failure(message: string, cause?: unknown): Error {
    return this.process.failure(message, cause);
  }

  /** Starts the postmaster; resolves when it accepts connections (as a primary or a hot standby). */
  start(timeoutMs = 60_000): Promise<void> {
    return this.process.start(
      join(this.environment.binDir, 'postgres'),
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

  /** Signals every process of this server (see process-group.ts for why not just the postmaster). */
  kill(signal: ServerSignal): number[] {
    return this.process.kill(signal);
  }

  /**
   * Shuts down: 'fast' (SIGINT: roll back sessions, shutdown checkpoint, WAL shipped to standbys) or
   * 'immediate' (SIGQUIT: no checkpoint, crash recovery at next start). Resolves when every process exited.
   */
  stop(mode: 'fast' | 'immediate' = 'fast', timeoutMs = 60_000): Promise<void> {
    return this.process.stop(mode === 'fast' ? 'SIGINT' : 'SIGQUIT', timeoutMs);
  }
}
