import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { RunAs } from './run-as';

/*
 * A PostgreSQL server is many processes, and they are NOT one process group: every child of the
 * postmaster calls setsid() (InitPostmasterChild), so each backend leads its own session and group.
 * `kill(-postmasterPid)` therefore reaches the postmaster alone, and a SIGSTOP or SIGKILL of the
 * postmaster leaves its backends serving. Each function here works on the whole tree: the postmaster,
 * its descendants, and (on Linux) every process whose working directory is inside the data folder.
 * The last catches orphans whose postmaster is already dead: the postmaster chdir()s into its data
 * directory and its children inherit that.
 */

export type ServerSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT' | 'SIGINT' | 'SIGQUIT';

interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Linux/ps state letter: R, S, D, T (stopped), Z (zombie)... */
  state: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

function listProcesses(): ProcessEntry[] {
  if (HAS_PROC) {
    const entries: ProcessEntry[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        entries.push({ pid: Number(name), state: rest[0] ?? '?', ppid: Number(rest[1]) });
      } catch {
        // The process exited while we looked.
      }
    }
    return entries;
  }
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat='], { encoding: 'utf8', timeout: 10_000 });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3)
    .map(([pid, ppid, state]) => ({ pid: Number(pid), ppid: Number(ppid), state: state ?? '?' }));
}

function isLive(entry: ProcessEntry): boolean {
  // A zombie has exited and holds nothing but its pid. Killed backends are orphans, reaped by PID 1,
  // which may take its time (up to a second seen in this project's VM): they must not count as running.
  return !entry.state.startsWith('Z') && !entry.state.startsWith('X');
}

function workingDirectory(pid: number): string | undefined {
  if (!HAS_PROC) return undefined;
  try {
    return readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** Live processes of one server, postmaster first. */
export function serverProcesses(rootPid: number | undefined, dir: string): number[] {
  const all = listProcesses();
  const live = all.filter(isLive);
  const found = new Set<number>();
  if (rootPid !== undefined && live.some((entry) => entry.pid === rootPid)) {
    found.add(rootPid);
    const children = new Map<number, number[]>();
    for (const entry of live) {
      const siblings = children.get(entry.ppid) ?? [];
      siblings.push(entry.pid);
      children.set(entry.ppid, siblings);
    }
    const queue = [rootPid];
    for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
      for (const child of children.get(pid) ?? []) {
        if (!found.has(child)) {
          found.add(child);
          queue.push(child);
        }
      }
    }
  }
  for (const entry of live) {
    if (found.has(entry.pid) || entry.pid === process.pid) continue;
    const cwd = workingDirectory(entry.pid);
    if (cwd !== undefined && isInside(cwd, dir)) found.add(entry.pid);
  }
  return [...found];
}

function send(pid: number, signal: ServerSignal): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to every process of the server. The postmaster goes first: once it is stopped or dead it
 * forks no new backends, and the repeated sweeps then catch any it forked meanwhile. Returns the pids signalled.
 */
export function signalServer(rootPid: number | undefined, dir: string, signal: ServerSignal): number[] {
  // Snapshot before touching the postmaster: once it dies its children are reparented and only the
  // working-directory match still finds them.
  const before = serverProcesses(rootPid, dir);
  const signalled = new Set<number>();
  if (rootPid !== undefined && before.includes(rootPid)) {
    send(rootPid, signal);
    // A child between fork() and its setsid() is still in the postmaster's group.
    send(-rootPid, signal);
    signalled.add(rootPid);
  }
  let pending = before.filter((pid) => !signalled.has(pid));
  for (let sweep = 0; sweep < 10 && pending.length > 0; sweep++) {
    for (const pid of pending) {
      send(pid, signal);
      signalled.add(pid);
    }
    pending = serverProcesses(rootPid, dir).filter((pid) => !signalled.has(pid));
  }
  // A process acts on SIGSTOP only when it next runs, after kill() has returned: wait for it, so the
  // caller can count on a frozen server (no answer, no WAL) from the moment this returns.
  if (signal === 'SIGSTOP') waitUntilStoppedSync(signalled, 1_000);
  return [...signalled];
}

function waitUntilStoppedSync(pids: ReadonlySet<number>, timeoutMs: number): void {
  const deadline = performance.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const running = listProcesses().filter(
      (entry) => pids.has(entry.pid) && isLive(entry) && !entry.state.startsWith('T'),
    );
    if (running.length === 0 || performance.now() >= deadline) return;
    Atomics.wait(pause, 0, 0, 2);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until no process of the server is alive; returns the survivors if `timeoutMs` runs out. */
export async function waitForNoProcesses(
  rootPid: number | undefined,
  dir: string,
  timeoutMs: number,
): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = serverProcesses(rootPid, dir);
    if (left.length === 0 || performance.now() >= deadline) return left;
    await sleep(25);
  }
}

/** The synchronous variant, for `process.on('exit')` where nothing asynchronous runs any more. */
export function waitForNoProcessesSync(
  rootPid: number | undefined,
  dir: string,
  timeoutMs: number,
): number[] {
  const deadline = performance.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const left = serverProcesses(rootPid, dir);
    if (left.length === 0 || performance.now() >= deadline) return left;
    Atomics.wait(pause, 0, 0, 25);
  }
}

export interface SpawnServerOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  runAs: RunAs | undefined;
  /** stdout and stderr are appended here; the file outlives this process's handle. */
  logFile: string;
}

/** Spawns `command` as the leader of a new session and process group, with its output in `logFile`. */
export function spawnDetached(command: string, args: string[], options: SpawnServerOptions): ChildProcess {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', log, log],
      windowsHide: true,
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    return child;
  } finally {
    closeSync(log);
  }
}
