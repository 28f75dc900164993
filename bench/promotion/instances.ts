import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Incident } from '../failover/types';
import { within } from '../lib/time';
import { REPO_ROOT } from '../peers/paths';
import type { PromotionRecord } from './events';
import type { FromInstance, InstanceReport, InstanceSpec, ToInstance } from './protocol';

/** An app instance running in its own process (instance-child.ts), seen from the bench. */
export interface AppInstance {
  readonly instance: number;
  /** Its promotion events so far. */
  readonly records: readonly PromotionRecord[];
  /** What it raised outside any call, and its exit if unasked. */
  readonly incidents: readonly Incident[];
  /** Its outage across the fault; undefined if it does not answer within a few seconds. */
  report(faultAt: number, writableAt: number): Promise<InstanceReport | undefined>;
  /** Ends its pool and the process (killed if it does not finish in time). */
  close(): Promise<void>;
}

const CHILD = join(REPO_ROOT, 'bench', 'promotion', 'instance-child.ts');
/** 20 processes loading tsx and the build on 2 cores take a while: generous. */
const OPEN_TIMEOUT_MS = 60_000;
const REPORT_TIMEOUT_MS = 5_000;
const CLOSE_GRACE_MS = 4_000;

/** Starts one app instance; resolves once its pool has written through the primary. */
export async function startInstance(spec: InstanceSpec): Promise<AppInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-600);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const records: PromotionRecord[] = [];
  const incidents: Incident[] = [];
  const waiters = new Set<(message: FromInstance | undefined) => void>();
  let closing = false;
  child.on('message', (raw) => {
    const message = raw as FromInstance;
    if (message.type === 'event') records.push(message.record);
    else if (message.type === 'incident')
      incidents.push({ what: message.what, code: message.what, message: message.message });
    for (const waiter of waiters) waiter(message);
  });
  child.on('exit', (code, signal) => {
    if (!closing)
      incidents.push({
        what: 'child process exit',
        code: 'INSTANCE_EXITED',
        message: `instance ${spec.instance} exited (${signal ?? `code ${code}`}): ${output.trim()}`,
      });
    for (const waiter of waiters) waiter(undefined);
  });
  /** The next message of `type` (undefined: the process exited, or `ms` passed). */
  const next = (type: FromInstance['type'], ms: number, ask: ToInstance) =>
    within(
      new Promise<FromInstance | undefined>((resolve) => {
        const waiter = (message: FromInstance | undefined) => {
          if (message !== undefined && message.type !== type && message.type !== 'open-failed') return;
          waiters.delete(waiter);
          resolve(message);
        };
        waiters.add(waiter);
        if (child.connected) child.send(ask);
      }),
      ms,
      undefined,
    );

  const opened = await next('opened', OPEN_TIMEOUT_MS, { type: 'open', spec });
  if (opened?.type !== 'opened') {
    closing = true;
    kill(child);
    const why =
      opened?.type === 'open-failed' ? opened.message : `no answer: ${output.trim() || '(no output)'}`;
    throw new Error(`app instance ${spec.instance} did not start: ${why}`);
  }
  return {
    instance: spec.instance,
    records,
    incidents,
    async report(faultAt, writableAt) {
      const answer = await next('report', REPORT_TIMEOUT_MS, { type: 'report', faultAt, writableAt });
      return answer?.type === 'report' ? answer.report : undefined;
    },
    async close() {
      closing = true;
      if (child.exitCode === null && child.signalCode === null) {
        await next('closed', CLOSE_GRACE_MS, { type: 'close' });
      }
      kill(child);
    },
  };
}

/** Starts `specs` all at once (their processes load in parallel); on a failure, closes those started. */
export async function startInstances(specs: readonly InstanceSpec[]): Promise<AppInstance[]> {
  const started = await Promise.allSettled(specs.map(startInstance));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((instance) => instance.close()));
    throw failed.reason;
  }
  return ok;
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
