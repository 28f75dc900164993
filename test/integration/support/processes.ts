import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * Process facts read from /proc, independently of the harness's own bookkeeping, so that a harness
 * that only thinks it killed something fails the harness tests.
 */

/** Linux state letter of a process, or undefined when it no longer exists. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Running means existing and not a zombie (PID 1 here reaps orphans only after up to a second). */
export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function pidsOf(predicate: (pid: number) => boolean): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid && isRunning(pid) && predicate(pid));
}

/** Running processes whose working directory is `dir` or inside it: how the servers show their data folder. */
export function processesIn(dir: string): number[] {
  return pidsOf((pid) => {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return cwd === dir || cwd.startsWith(`${dir}/`);
    } catch {
      return false;
    }
  });
}

/** The reaper: the only process given the cluster's state file as an argument. */
export function reapersOf(baseDir: string): number[] {
  const text = `${baseDir}/cleanup-state.json`;
  return pidsOf((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

const repoRoot = resolve(import.meta.dirname, '../../..');

/**
 * Runs a script in a separate Node process that starts a cluster with `startCall` (a call of
 * failover-pool/testing's, e.g. `startPgCluster({ source: 'system' })`), bound to `cluster`, then
 * runs `afterStart`; resolves with the child and the cluster's folder once it is up.
 */
export async function clusterInChild(
  startCall: string,
  afterStart: string,
): Promise<{ child: ChildProcess; baseDir: string }> {
  const entry = pathToFileURL(resolve(repoRoot, 'src/testing/index.ts')).href;
  const script = `
    import * as testing from ${JSON.stringify(entry)};
    const cluster = await testing.${startCall};
    process.stdout.write(JSON.stringify({ baseDir: cluster.baseDir }) + '\\n');
    ${afterStart}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    const line = await new Promise<string>((done, fail) => {
      let stdout = '';
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('\n')) done(stdout.slice(0, stdout.indexOf('\n')));
      });
      child.once('exit', (code) =>
        fail(new Error(`child exited (${code}) before starting a cluster: ${stderr}`)),
      );
    });
    return { child, baseDir: (JSON.parse(line) as { baseDir: string }).baseDir };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
