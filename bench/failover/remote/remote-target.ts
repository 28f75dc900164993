import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { within } from '../../lib/time';
import type { Endpoints, Incident, WriteTarget } from '../types';
import type { FromChild, ToChild, WireError } from './protocol';

/** An error the child reported, carrying the class the app saw there. */
export class RemoteClientError extends Error {
  readonly code: string;
  constructor(error: WireError) {
    super(error.message);
    this.name = error.code;
    this.code = error.code;
  }
}

export interface RemoteTargetOptions {
  node: string;
  /** Node flags and script; the child reads ToChild messages on its IPC channel. */
  args: string[];
  cwd: string;
  poolSize: number;
}

const OPEN_TIMEOUT_MS = 30_000;
const CLOSE_GRACE_MS = 3_000;

/** Opens a client in a child process and returns it as a WriteTarget of this process. */
export async function openRemoteTarget(
  endpoints: Endpoints,
  options: RemoteTargetOptions,
): Promise<WriteTarget> {
  const child = spawn(options.node, options.args, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  // BENCH_PEER_LOG=file keeps everything the peer prints (with LOG_LEVEL=debug, the AWS wrapper's log).
  const logFile = process.env.BENCH_PEER_LOG;
  const keep = (chunk: Buffer) => {
    if (logFile) appendFileSync(logFile, chunk);
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const incidents: Incident[] = [];
  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let exited: WireError | undefined;
  let seq = 0;
  let onOpen: ((message: FromChild) => void) | undefined;
  let onClosed: (() => void) | undefined;

  child.on('message', (raw) => {
    const message = raw as FromChild;
    if (message.type === 'result') {
      const waiter = pending.get(message.seq);
      pending.delete(message.seq);
      if (message.error) waiter?.reject(new RemoteClientError(message.error));
      else waiter?.resolve();
    } else if (message.type === 'incident') {
      incidents.push({ what: message.what, ...message.error });
    } else if (message.type === 'closed') {
      onClosed?.();
    } else {
      onOpen?.(message);
    }
  });
  child.on('exit', (code, signal) => {
    exited = {
      code: 'CLIENT_PROCESS_EXITED',
      message: `the client process exited (${signal ?? `code ${code}`}); last output: ${tail(output)}`,
    };
    if (!closing) incidents.push({ what: 'child process exit', ...exited });
    for (const waiter of pending.values()) waiter.reject(new RemoteClientError(exited));
    pending.clear();
    onOpen?.({ type: 'open-failed', error: exited });
  });
  let closing = false;

  const send = (message: ToChild) => {
    if (!exited && child.connected) child.send(message);
  };
  const opened = await within(
    new Promise<FromChild>((resolve) => {
      onOpen = resolve;
      send({ type: 'open', endpoints, poolSize: options.poolSize });
    }),
    OPEN_TIMEOUT_MS,
    { type: 'open-failed', error: { code: 'OPEN_TIMEOUT', message: `no answer in ${OPEN_TIMEOUT_MS} ms` } },
  );
  if (opened.type !== 'opened') {
    kill(child);
    const error = opened.type === 'open-failed' ? opened.error : { code: 'PROTOCOL', message: opened.type };
    throw new RemoteClientError(error);
  }

  return {
    incidents,
    insert(id) {
      if (exited) return Promise.reject(new RemoteClientError(exited));
      return new Promise<void>((resolve, reject) => {
        const n = ++seq;
        pending.set(n, { resolve, reject });
        send({ type: 'insert', seq: n, id });
      });
    },
    async close() {
      closing = true;
      if (!exited) {
        await within(
          new Promise<void>((resolve) => {
            onClosed = resolve;
            send({ type: 'close' });
          }),
          CLOSE_GRACE_MS,
          undefined,
        );
      }
      kill(child);
    },
  };
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function tail(output: string[]): string {
  return output.join('').slice(-600).replaceAll(/\s+/g, ' ').trim() || '(none)';
}
