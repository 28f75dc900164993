import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  type ServerSignal,
  type SpawnServerOptions,
  serverProcesses,
  signalServer,
  spawnDetached,
  waitForNoProcesses,
} from './process-group';
import type { RunAs } from './run-as';
import type { StopMode } from './test-cluster';

export interface ServerProcessEnvironment {
  runAs: RunAs | undefined;
  env: NodeJS.ProcessEnv;
  /** Called whenever the server's pid changes, so the reaper's state file stays current. */
  onChange: () => void;
  /** True once the cluster is being destroyed: waits give up at once. */
  isDestroyed: () => boolean;
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function logTail(file: string, lines = 25): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** An error whose message ends with the last lines of a server's log: the reason is usually there. */
export function failureWithLog(message: string, file: string, cause?: unknown): Error {
  return new Error(`${message}\n--- last lines of ${file} ---\n${logTail(file)}`, { cause });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Runs a set-up program (initdb, mariadb-install-db) as the servers' account, with its output in
 * `logFile`, and resolves when it exited successfully; fails with the log's last lines otherwise.
 */
export async function runToCompletion(
  command: string,
  args: string[],
  options: SpawnServerOptions,
  what: string,
): Promise<void> {
  const child = spawnDetached(command, args, options);
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('exit', (code) => resolve({ code }));
    child.once('error', (error) => resolve({ code: null, error }));
  });
  if (outcome.code !== 0) {
    throw failureWithLog(
      `${what} failed (${outcome.error?.message ?? `exit code ${outcome.code}`}).`,
      options.logFile,
      outcome.error,
    );
  }
}

/**
 * One database server on a loopback port and its data folder (a postmaster and its backends, or a
 * mariadbd): spawned in its own session as the servers' account, with its output in
 * `<dataDir>.log`, and found again by its working directory (the data folder) even once its pid is
 * forgotten. Each engine's server class says how to start it, when it is ready and how it stops.
 */
export abstract class ServerProcess {
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exit: Promise<ExitInfo> | undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly environment: ServerProcessEnvironment,
  ) {
    this.logFile = `${dataDir}.log`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  logTail(lines = 25): string {
    return logTail(this.logFile, lines);
  }

  failure(message: string, cause?: unknown): Error {
    return failureWithLog(message, this.logFile, cause);
  }

  /**
   * Starts `command args` in the data folder; resolves once `isReady()` says so, fails with the
   * log's last lines if the process exits first or `timeoutMs` passes.
   */
  protected async launch(
    command: string,
    args: string[],
    isReady: () => Promise<boolean>,
    timeoutMs = 60_000,
  ): Promise<void> {
    if (
      this.child?.pid !== undefined &&
      !serverProcesses(this.child.pid, this.dataDir).includes(this.child.pid)
    ) {
      // Killed a moment ago: the exit event is still on its way.
      if (this.exit) await withTimeout(this.exit, 5_000);
    }
    if (this.child) throw new Error(`${this.name} is already running (pid ${this.child.pid}).`);
    // Leftovers of a killed server would hold the data folder's files and the port.
    const leftovers = await waitForNoProcesses(undefined, this.dataDir, 5_000);
    if (leftovers.length > 0) {
      throw new Error(
        `${this.name} cannot start: processes ${leftovers.join(', ')} of its previous run are still alive.`,
      );
    }
    const child = spawnDetached(command, args, {
      cwd: this.dataDir,
      env: this.environment.env,
      runAs: this.environment.runAs,
      logFile: this.logFile,
    });
    // A forgotten cluster must not keep the test process alive: the exit hook and the reaper stop it.
    child.unref();
    let exited: ExitInfo | undefined;
    const exit = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    }).then((info) => {
      exited = info;
      if (this.child === child) {
        this.child = undefined;
        this.exit = undefined;
        this.environment.onChange();
      }
      return info;
    });
    if (child.pid === undefined) {
      const info = await exit;
      throw this.failure(
        `${this.name}: could not spawn ${command}: ${info.error?.message ?? 'unknown error'}`,
        info.error,
      );
    }
    this.child = child;
    this.exit = exit;
    this.environment.onChange();

    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (exited) {
        const how =
          exited.error?.message ?? (exited.signal ? `signal ${exited.signal}` : `exit code ${exited.code}`);
        throw this.failure(`${this.name} (port ${this.port}) exited while starting (${how}).`, exited.error);
      }
      if (this.environment.isDestroyed())
        throw new Error(`${this.name}: the cluster was destroyed while it started.`);
      if (await isReady()) return;
      if (performance.now() > deadline) {
        throw this.failure(
          `${this.name} (port ${this.port}) did not accept connections within ${timeoutMs} ms.`,
        );
      }
      await sleep(20);
    }
  }

  /** Shuts the server down; resolves when every process of it exited. */
  abstract stop(mode?: StopMode): Promise<void>;

  /** Signals every process of this server (see process-group.ts). */
  kill(signal: ServerSignal): number[] {
    return signalServer(this.pid, this.dataDir, signal);
  }

  /**
   * Sends `signal` to the server's main process (after SIGCONT to all of them: a stopped server
   * cannot act on it) and resolves when every process exited; kills it and fails if that takes
   * longer than `timeoutMs`. Only the main process: to a PostgreSQL backend, SIGINT means "cancel".
   */
  protected async halt(signal: ServerSignal, timeoutMs = 60_000): Promise<void> {
    const child = this.child;
    const exit = this.exit;
    if (child && exit) {
      this.kill('SIGCONT');
      child.kill(signal);
      const result = await withTimeout(exit, timeoutMs);
      if (result === 'timeout') {
        this.kill('SIGKILL');
        await exit;
        throw this.failure(`${this.name} did not stop (${signal}) within ${timeoutMs} ms and was killed.`);
      }
    }
    const leftovers = await waitForNoProcesses(undefined, this.dataDir, 10_000);
    if (leftovers.length > 0) {
      throw this.failure(`${this.name}: processes ${leftovers.join(', ')} outlived the server.`);
    }
  }
}
