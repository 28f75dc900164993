import { spawn } from 'node:child_process';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { serverProcesses, signalServer, waitForNoProcesses, waitForNoProcessesSync } from './process-group';

/*
 * Three layers make sure a test cluster never outlives its test process:
 * 1. `destroy()` (async), called by the test;
 * 2. a `process.on('exit')` hook (sync) for a process that ends normally without destroying;
 * 3. a reaper: a small detached Node process that polls the test process and, once it is gone (SIGKILL,
 *    a vitest worker killed on timeout, a crash), kills the servers and removes the folder.
 * The reaper learns what to kill from a state file the cluster keeps current, and quits on its own
 * when that file disappears (the cluster was destroyed).
 */

export const STATE_FILE = 'cleanup-state.json';

/** Every folder the harness creates starts with this, and the reaper removes nothing else. */
export const BASE_DIR_PREFIX = 'failover-pool-';

export interface CleanupServer {
  name: string;
  pid: number | undefined;
  dataDir: string;
}

export interface CleanupState {
  parentPid: number;
  baseDir: string;
  servers: CleanupServer[];
}

/*
 * Plain CommonJS run with `node -e`, kept in a string so it works the same from src/ under vitest and
 * from the built dist/. argv: parent pid, state file, base folder.
 * On Linux the parent is gone when this process has been reparented (process.ppid is only read once at
 * startup, so /proc/self/stat is read instead), or when the parent is a zombie. Server processes are
 * found by their working directory (the postmaster chdir()s into its data folder; children inherit it),
 * which also finds backends whose postmaster is already dead; elsewhere by the recorded postmaster pids
 * and their descendants.
 */
export const REAPER_SOURCE = String.raw`'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const parentPid = Number(process.argv[1]);
const statePath = process.argv[2];
const baseDir = process.argv[3];
const hasProc = fs.existsSync('/proc/self/stat');
function procStat(pid) {
  try {
    const text = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch (e) {
    return null;
  }
}
function parentGone() {
  if (hasProc) {
    const self = procStat('self');
    if (self && self.ppid !== parentPid) return true;
    const parent = procStat(parentPid);
    return !parent || parent.state === 'Z' || parent.state === 'X';
  }
  try {
    process.kill(parentPid, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
}
function readState() {
  try {
    return JSON.parse(fs.readFileSync(statePath, 'utf8'));
  } catch (e) {
    return null;
  }
}
function clusterProcesses(state) {
  const found = new Set();
  if (hasProc) {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      const stat = procStat(name);
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      let cwd;
      try {
        cwd = fs.readlinkSync('/proc/' + name + '/cwd').replace(/ \(deleted\)$/, '');
      } catch (e) {
        continue;
      }
      if (cwd === baseDir || cwd.startsWith(baseDir + '/')) found.add(Number(name));
    }
    return [...found];
  }
  let rows = [];
  try {
    rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length >= 3 && !f[2].startsWith('Z'))
      .map((f) => ({ pid: Number(f[0]), ppid: Number(f[1]) }));
  } catch (e) {
    return [];
  }
  let frontier = (state ? state.servers : [])
    .map((s) => s.pid)
    .filter((pid) => pid && rows.some((r) => r.pid === pid));
  for (const pid of frontier) found.add(pid);
  while (frontier.length > 0) {
    const next = rows.filter((r) => frontier.includes(r.ppid) && !found.has(r.pid)).map((r) => r.pid);
    for (const pid of next) found.add(pid);
    frontier = next;
  }
  return [...found];
}
function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
function reap() {
  const state = readState();
  for (let round = 0; round < 100; round++) {
    const pids = clusterProcesses(state);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try { process.kill(pid, 'SIGCONT'); } catch (e) {}
      try { process.kill(pid, 'SIGKILL'); } catch (e) {}
    }
    pause(50);
  }
  if (path.basename(baseDir).startsWith('${BASE_DIR_PREFIX}')) {
    fs.rmSync(baseDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}
const timer = setInterval(() => {
  if (!fs.existsSync(statePath)) {
    clearInterval(timer);
    return;
  }
  if (parentGone()) {
    clearInterval(timer);
    try {
      reap();
    } finally {
      process.exit(0);
    }
  }
}, 300);
`;

const live = new Set<ClusterCleanup>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cleanup of [...live]) {
      try {
        cleanup.killAndRemoveSync();
      } catch {
        // Nothing can be reported from an exit hook; the reaper gets another go.
      }
    }
  });
}

/** The cleanup guarantees of one cluster's base folder. */
export class ClusterCleanup {
  readonly statePath: string;
  readonly reaperPid: number | undefined;
  private servers: CleanupServer[] = [];
  /** Set when the folder is being removed: from then on the state file is no longer rewritten. */
  private closing = false;
  private done = false;

  constructor(readonly baseDir: string) {
    if (!basename(baseDir).startsWith(BASE_DIR_PREFIX)) {
      throw new Error(`Refusing to manage ${baseDir}: cluster folders must start with ${BASE_DIR_PREFIX}.`);
    }
    this.statePath = join(baseDir, STATE_FILE);
    this.writeState();
    live.add(this);
    installExitHook();
    const reaper = spawn(
      process.execPath,
      ['-e', REAPER_SOURCE, String(process.pid), this.statePath, baseDir],
      {
        detached: true,
        stdio: 'ignore',
        cwd: '/',
        // NODE_OPTIONS from a test runner may load loaders or inspectors the reaper does not need.
        env: { PATH: process.env.PATH ?? '' },
        windowsHide: true,
      },
    );
    reaper.on('error', () => {
      // Without a reaper the exit hook and destroy() still clean up; a spawn failure must not crash the tests.
    });
    reaper.unref();
    this.reaperPid = reaper.pid;
  }

  /** Records the servers' current postmaster pids for the reaper. */
  update(servers: CleanupServer[]): void {
    this.servers = servers.map((server) => ({ ...server }));
    if (this.closing) return;
    try {
      this.writeState();
    } catch {
      // Called from child-process exit events: a failed write must not crash the test process. The
      // reaper still finds every server by its working directory.
    }
  }

  private writeState(): void {
    const state: CleanupState = { parentPid: process.pid, baseDir: this.baseDir, servers: this.servers };
    const tmp = `${this.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    // rename is atomic: the reaper reads the old or the new state, never half of one.
    renameSync(tmp, this.statePath);
  }

  private signalAll(signal: 'SIGCONT' | 'SIGKILL'): void {
    for (const server of this.servers) signalServer(server.pid, server.dataDir, signal);
    // initdb, or anything else started under the base folder.
    signalServer(undefined, this.baseDir, signal);
  }

  private remaining(): number[] {
    const pids = new Set<number>(serverProcesses(undefined, this.baseDir));
    for (const server of this.servers) {
      for (const pid of serverProcesses(server.pid, server.dataDir)) pids.add(pid);
    }
    return [...pids];
  }

  /** Kills every server process (a stopped one too) and removes the folder; for exit hooks. */
  killAndRemoveSync(): void {
    if (this.done) return;
    this.closing = true;
    this.signalAll('SIGCONT');
    this.signalAll('SIGKILL');
    waitForNoProcessesSync(undefined, this.baseDir, 3_000);
    // The state file goes last: while it exists the reaper still stands guard.
    for (const entry of readdirSync(this.baseDir)) {
      if (entry !== STATE_FILE)
        rmSync(join(this.baseDir, entry), { recursive: true, force: true, maxRetries: 5 });
    }
    rmSync(this.baseDir, { recursive: true, force: true, maxRetries: 5 });
    this.done = true;
    live.delete(this);
  }

  /** Kills every server process (a stopped one too), waits for them and removes the folder. */
  async killAndRemove(): Promise<void> {
    if (this.done) return;
    this.closing = true;
    for (let round = 0; round < 20; round++) {
      this.signalAll('SIGCONT');
      this.signalAll('SIGKILL');
      const left = await waitForNoProcesses(undefined, this.baseDir, 500);
      if (left.length === 0 && this.remaining().length === 0) break;
    }
    const survivors = this.remaining();
    if (survivors.length > 0) {
      throw new Error(
        `Could not kill the test cluster's processes ${survivors.join(', ')} in ${this.baseDir}; the folder is kept.`,
      );
    }
    for (const entry of await readdir(this.baseDir)) {
      if (entry !== STATE_FILE)
        await rm(join(this.baseDir, entry), { recursive: true, force: true, maxRetries: 5 });
    }
    await rm(this.baseDir, { recursive: true, force: true, maxRetries: 5 });
    this.done = true;
    live.delete(this);
  }
}
