import type { EventEmitter } from 'node:events';
import type { FailoverOptions, MonitorOptions, RetryEvent } from '../../../src/index';
import type { FakeNode, Role } from './fake-node';

/**
 * One driver API (pg, mysql2's callback pool, mysql2's promise pool) behind the few calls the
 * failover scenarios make, so that each scenario is written once and runs on every API. Everything
 * goes through the package's public entry points.
 */

export interface StatementFlags {
  readonly readOnly?: boolean;
  readonly idempotent?: boolean;
}

/** Runs `sql` (with `?` placeholders, each bound to 1) and resolves once it succeeded. */
export type Run = (sql: string, flags?: StatementFlags) => Promise<void>;

export interface PinnedClient {
  readonly run: Run;
  release(): void;
}

export interface KitPool {
  readonly run: Run;
  /** `pool.connect()` / `getConnection()`. */
  pin(): Promise<PinnedClient>;
  /** `pool.transaction(fn)`, the function getting `run` on the transaction's connection. */
  transaction<T>(fn: (tx: { run: Run }) => Promise<T>): Promise<T>;
  /** `host:port` of the primary the pool follows now. */
  primary(): string | null;
  /** Every `retry` event so far. */
  readonly retries: RetryEvent[];
  /** The first `retry` event for `reason`, past or next. */
  retried(reason: RetryEvent['reason']): Promise<RetryEvent>;
}

export interface DriverKit<E> {
  readonly name: string;
  startNode(role: Role): Promise<FakeNode<E>>;
  createPool(nodes: readonly FakeNode<E>[]): KitPool;
  /** A unique violation, and a check that an error is exactly the driver's error for it. */
  readonly uniqueViolation: E;
  expectUniqueViolation(error: unknown): void;
  /** The ways this engine rejects a write on a node that does not take writes. */
  readonly readOnlyRejections: readonly { readonly name: string; readonly error: E }[];
  /** What the library asks on a new connection before using it (nothing: it reads the login parameters). */
  readonly newConnectionCheck?: RegExp;
  /** A connect under way to a node that gets retired is closed at once (not left to its timeout). */
  readonly closesAbandonedConnects: boolean;
}

/** Short intervals, so that a failover takes a few probes of a few milliseconds each. */
const MONITOR: MonitorOptions = { intervalMs: 20, timeoutMs: 200, fastIntervalMs: 5, settleMs: 100 };
/**
 * Re-runs at once; many tries, because a scenario holds a node's probes (so the monitor keeps it as
 * primary) until its first failure was seen, and tries go on meanwhile.
 */
const FAILOVER: FailoverOptions = { retryDelayMs: () => 1, maxAttempts: 50, waitForPrimaryMs: 3_000 };

const closers: (() => Promise<void>)[] = [];

/** Registers something a test opened; `closeEverything` ends it after the test. */
function track(close: () => Promise<void>): void {
  closers.push(close);
}

/** Ends every pool, then closes every fake node (the pools say goodbye first), even if one fails. */
export async function closeEverything(): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers.splice(0).reverse())
    await close().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}

/** Polls `check` every few milliseconds until it holds; fails after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A fake node, listening, and closed after the test. */
export async function started<N extends FakeNode<unknown>>(node: N): Promise<N> {
  await node.start();
  track(() => node.close());
  return node;
}

/** The kit's view of `pool`: `calls` on it, its retry events recorded; `end` runs after the test. */
export function kitPool(
  pool: EventEmitter,
  end: () => Promise<void>,
  calls: Omit<KitPool, 'retries' | 'retried'>,
): KitPool {
  track(end);
  return { ...calls, ...retryRecorder(pool) };
}

/** Collects a pool's `retry` events, and waits for one without polling (a test acts on it at once). */
function retryRecorder(pool: EventEmitter): Pick<KitPool, 'retries' | 'retried'> {
  const retries: RetryEvent[] = [];
  pool.on('retry', (event: RetryEvent) => retries.push(event));
  const retried = (reason: RetryEvent['reason']) => {
    const seen = retries.find((r) => r.reason === reason);
    if (seen) return Promise.resolve(seen);
    return new Promise<RetryEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no retry for ${reason} within 3 s`)), 3_000);
      const listener = (event: RetryEvent) => {
        if (event.reason !== reason) return;
        clearTimeout(timer);
        pool.off('retry', listener);
        resolve(event);
      };
      pool.on('retry', listener);
    });
  };
  return { retries, retried };
}

/** `?` placeholders as the values the kits bind: one `1` per placeholder. */
export function valuesFor(sql: string): number[] {
  return (sql.match(/\?/g) ?? []).map(() => 1);
}

/** The options every kit's pool shares: the nodes, credentials the fakes accept, short timings. */
export function poolOptions(nodes: readonly { name: string }[]) {
  return {
    hosts: nodes.map((n) => n.name),
    user: 'app',
    password: 'secret',
    database: 'shop',
    monitor: MONITOR,
    failover: FAILOVER,
  };
}
