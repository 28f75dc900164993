import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from '../lib/time';
import type { FromInstance, ToInstance } from './protocol';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');
/** 50 processes loading tsx and the build on 2 cores take a while. */
const OPEN_TIMEOUT_MS = 90_000;
/** Started this many at a time: all at once would starve the machine the servers run on. */
const BATCH = 10;

/** An app instance process, seen from the bench: ask it something, get its answer (or undefined). */
export class Instance {
  private readonly child: ChildProcess;
  private readonly waiting = new Set<(message: FromInstance | undefined) => void>();
  /** Its last output, for the error when it dies. */
  output = '';

  constructor(readonly id: number) {
    this.child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-500);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.on('message', (message: FromInstance) => {
      for (const waiter of this.waiting) waiter(message);
    });
    this.child.on('exit', () => {
      for (const waiter of this.waiting) waiter(undefined);
    });
  }

  /** Sends `message`; resolves with the first answer of type `expect` (or a failure), undefined after `ms` or an exit. */
  ask(message: ToInstance, expect: FromInstance['type'], ms: number): Promise<FromInstance | undefined> {
    const answer = new Promise<FromInstance | undefined>((resolve) => {
      const waiter = (reply: FromInstance | undefined) => {
        if (reply && reply.type !== expect && reply.type !== 'failed') return;
        this.waiting.delete(waiter);
        resolve(reply);
      };
      this.waiting.add(waiter);
      if (this.child.connected) this.child.send(message);
      else waiter(undefined);
    });
    return within(answer, ms, undefined);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/**
 * Starts `count` instances, BATCH at a time, each opening its pool with `open(id)`; if any fails, kills
 * every one started and throws. `started` receives each process as soon as it exists, so the bench
 * can kill them all whatever happens.
 */
export async function startInstances(
  count: number,
  open: (id: number) => ToInstance,
  started: Instance[],
): Promise<void> {
  for (let first = 1; first <= count; first += BATCH) {
    const batch = Array.from(
      { length: Math.min(BATCH, count - first + 1) },
      (_, i) => new Instance(first + i),
    );
    started.push(...batch);
    const answers = await Promise.all(batch.map((one) => one.ask(open(one.id), 'opened', OPEN_TIMEOUT_MS)));
    const bad = answers.findIndex((answer) => answer?.type !== 'opened');
    if (bad >= 0) {
      const answer = answers[bad];
      const why =
        answer?.type === 'failed'
          ? answer.message
          : `no answer: ${batch[bad]?.output.trim() || '(no output)'}`;
      throw new Error(`app instance ${batch[bad]?.id} did not start: ${why}`);
    }
  }
}

/** Asks every instance to end its pool and exit; kills those that do not within a few seconds. */
export async function closeInstances(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.filter((one) => one.alive).map((one) => one.ask({ type: 'close' }, 'closed', 4_000)),
  );
  for (const one of instances) one.kill();
}
