import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildConfig, ChildMessage, ReportedEvent } from './app-instance-protocol';
import { settled } from './wait';

const repoRoot = resolve(import.meta.dirname, '../../..');
const childScript = resolve(import.meta.dirname, 'app-instance-child.ts');
/** Ids of one instance's inserts start at its number times this. */
const ID_RANGE = 10_000_000;

export interface ReceivedEvent {
  readonly name: ReportedEvent;
  readonly payload: Record<string, unknown>;
  readonly at: number;
}

export interface Written {
  readonly acked: readonly number[];
  readonly errors: Readonly<Record<string, number>>;
}

/** An app instance in its own process, as the test sees it. */
export interface AppInstance {
  readonly number: number;
  readonly events: readonly ReceivedEvent[];
  /** The pool's primary as of its last event. */
  readonly primary: string | null;
  /** The process has exited (stopped, or killed). */
  readonly exited: boolean;
  /** Stops writing and ends the pool; resolves with what it wrote. */
  stop(): Promise<Written>;
}

export interface AppInstancesOptions {
  readonly engine: ChildConfig['engine'];
  /** Pool options per instance (by its number, from 1), promotion included. */
  readonly options: (number: number) => Record<string, unknown>;
  readonly write?: boolean;
  readonly pauseMs?: number;
  readonly dieAfterPromoting?: boolean;
}

/**
 * Starts `count` app instances, each a Node process with its own pool; resolves once every one has
 * found the primary. `register` receives a closing step that kills whatever still runs, for the
 * test's afterEach.
 */
export async function startAppInstances(
  count: number,
  options: AppInstancesOptions,
  register: (close: () => Promise<unknown>) => void,
): Promise<AppInstance[]> {
  const instances = Array.from({ length: count }, (_, i) => startOne(i + 1, options));
  register(async () => {
    for (const { child } of instances) if (child.exitCode === null) child.kill('SIGKILL');
  });
  await settled(
    'every app instance to find the primary',
    Promise.all(instances.map(({ ready }) => ready)),
    30_000,
  );
  return instances.map(({ instance }) => instance);
}

function startOne(
  number: number,
  options: AppInstancesOptions,
): { child: ChildProcess; ready: Promise<void>; instance: AppInstance } {
  const config: ChildConfig = {
    engine: options.engine,
    options: options.options(number),
    write: options.write ?? true,
    idBase: number * ID_RANGE,
    pauseMs: options.pauseMs ?? 20,
    ...(options.dieAfterPromoting && { dieAfterPromoting: true }),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(config)], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: ReceivedEvent[] = [];
  let primary: string | null = null;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  // DEBUG=failover-pool:* with APP_INSTANCE_LOGS=<folder>: each instance's log in a file there.
  const logs = process.env.APP_INSTANCE_LOGS;
  if (logs) child.stderr?.pipe(createWriteStream(join(logs, `instance-${number}.log`), { flags: 'a' }));
  let markReady: () => void = () => undefined;
  let markDone: (written: Written) => void = () => undefined;
  const exited = new Promise<never>((_resolve, reject) =>
    child.on('exit', (code, signal) =>
      reject(new Error(`App instance ${number} exited (${signal ?? code}). Its stderr ends:\n${stderr}`)),
    ),
  );
  exited.catch(() => undefined);
  const ready = Promise.race([new Promise<void>((resolve) => (markReady = resolve)), exited]);
  const done = Promise.race([new Promise<Written>((resolve) => (markDone = resolve)), exited]);
  // A test that failed before stopping its instances kills them: nobody waits for `done` then.
  done.catch(() => undefined);
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let message: ChildMessage;
    try {
      message = JSON.parse(line) as ChildMessage;
    } catch {
      return; // a library's stray output
    }
    if (message.type === 'ready') {
      primary = message.primary;
      markReady();
    } else if (message.type === 'primary') {
      primary = message.primary;
    } else if (message.type === 'event') {
      primary = message.primary;
      events.push({ name: message.name, payload: message.payload, at: performance.now() });
    } else {
      markDone({ acked: message.acked, errors: message.errors });
    }
  });
  const instance: AppInstance = {
    number,
    events,
    get primary() {
      return primary;
    },
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    async stop() {
      child.stdin?.write('stop\n');
      return settled(`app instance ${number} to stop`, done, 20_000);
    },
  };
  return { child, ready, instance };
}

/** Every event of one kind from every instance, in the order they arrived. */
export function eventsOf(instances: readonly AppInstance[], name: ReportedEvent): Record<string, unknown>[] {
  return instances
    .flatMap((instance) => instance.events.filter((event) => event.name === name))
    .sort((a, b) => a.at - b.at)
    .map((event) => event.payload);
}
