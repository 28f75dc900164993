import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import createDebug from 'debug';
import { type Clock, systemClock } from './clock';
import { guardEmit } from './emit';
import { CommitOutcomeUnknownError, ConfigError, TransactionAttemptsExhaustedError } from './errors';
import type { EmitFailoverEvent, TransactionRetryReason } from './events';
import { IdempotencyStore, parseStored } from './idempotency-store';
import type { NodeView } from './node';
import { TransactionAttempt } from './transaction-attempt';
import { type AttemptFailure, decideTransactionFailure } from './transaction-decision';
import type { TransactionDriver, TransactionEngine } from './transaction-driver';
import {
  type ResolvedTransactionOptions,
  type ResolvedTransactionsOptions,
  resolvePurgeOptions,
  resolveTransactionOptions,
} from './transaction-options';

const debug = createDebug('failover-pool:transaction');

export type TransactionFunction<Handle, T> = (tx: Handle) => T | Promise<T>;

/** The transaction a nested call joins: found through AsyncLocalStorage while its function runs. */
interface Joinable<Connection, Handle> {
  readonly attempt: TransactionAttempt<Connection>;
  readonly handle: Handle;
  readonly options: ResolvedTransactionOptions;
}

/**
 * The result of an exactly-once statement (`runOnce`) found with its key after a COMMIT in doubt:
 * what `summarize` kept of it, parsed from the JSON stored, not the driver's live result.
 */
export class StoredResult {
  constructor(readonly value: unknown) {}
}

/** How `runOnce` differs from `run`: a fresh key (no lookup before the first attempt), a summary stored. */
interface Once<T> {
  readonly summarize: (value: T) => unknown;
}

/** Keys of exactly-once statements start with this, so that they can be told from the app's own. */
export const ONCE_KEY_PREFIX = 'fp-once:';
/**
 * An exactly-once statement's key is needed only until its own call has looked it up after a COMMIT
 * in doubt (within `failover.waitForPrimaryMs` and a few re-runs): kept an hour, then purged.
 */
const ONCE_KEY_KEEP_MS = 3_600_000;
/** A pool that writes exactly-once statements purges their old keys at most this often. */
const ONCE_PURGE_EVERY_MS = 600_000;

type AttemptOutcome<T> =
  | { readonly committed: true; readonly value: T }
  | { readonly committed: false; readonly failure: AttemptFailure };

/** The last attempt's failure, when the next one is a re-run. */
interface Previous {
  readonly failure: AttemptFailure;
  readonly reason: TransactionRetryReason;
  readonly node: NodeView;
  /** Its COMMIT's outcome is unknown until the key's lookup answers. */
  readonly commitInDoubt: boolean;
}

/**
 * `pool.transaction(fn, options)`, the same for every driver. Each attempt runs `fn` between BEGIN
 * and COMMIT on a connection pinned to the current primary; how an attempt failed decides what comes
 * next (transaction-decision.ts). With an idempotency key, every attempt first looks the key up on
 * the current primary (stored: its result is returned and `fn` does not run) and writes the key with
 * the function's JSON result just before COMMIT, so that:
 * - a COMMIT whose connection died is resolved by the next attempt's lookup: found, it committed;
 *   absent, it did not (the primary key makes a late commit of the first attempt and the re-run
 *   exclude each other: one of them fails on the key);
 * - a caller that repeats a whole request gets the first result.
 * The lookup asks the primary of the moment, after a failover the new one: a replica may lag.
 */
export class TransactionRunner<Connection, Handle> {
  private readonly joinable = new AsyncLocalStorage<Joinable<Connection, Handle>>();
  private readonly store: IdempotencyStore<Connection>;
  private readonly emit: EmitFailoverEvent;
  /** When exactly-once keys are next purged (the first runOnce purges at once). */
  private nextOncePurge = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly engine: TransactionEngine<Connection>,
    private readonly driver: TransactionDriver<Connection, Handle>,
    private readonly defaults: ResolvedTransactionsOptions,
    /** The pool's `failover.retryDelayMs`: jittered backoff between attempts. */
    private readonly retryDelayMs: (attempt: number) => number,
    emit: EmitFailoverEvent,
    private readonly clock: Clock = systemClock,
  ) {
    this.emit = guardEmit(emit);
    this.store = new IdempotencyStore(engine, driver, defaults.idempotencyTable);
  }

  async run<T>(fn: TransactionFunction<Handle, T>, options?: unknown): Promise<T> {
    if (typeof fn !== 'function') {
      throw new TypeError('pool.transaction(fn, options) takes a function: async (tx) => { ... }.');
    }
    const resolved = resolveTransactionOptions(options, this.defaults);
    const outer = this.joinable.getStore();
    if (outer?.attempt.active) return this.join(outer, fn, resolved);
    return this.runOutermost(fn, resolved);
  }

  /**
   * One statement exactly once (`exactlyOnce: true`): `fn` runs it in a transaction that also writes
   * a fresh idempotency key, so that a COMMIT whose connection died is resolved by looking the key
   * up on the new primary. Resolves with the live result when this attempt committed, or with a
   * StoredResult (what `summarize` kept) when a lookup found that an earlier one did.
   */
  runOnce<T>(
    fn: TransactionFunction<Handle, T>,
    summarize: (value: T) => unknown,
  ): Promise<T | StoredResult> {
    this.purgeOnceKeysNowAndThen();
    const options = resolveTransactionOptions(
      { idempotencyKey: `${ONCE_KEY_PREFIX}${randomUUID()}` },
      this.defaults,
    );
    return this.runOutermost(fn, options, { summarize });
  }

  /**
   * One row per exactly-once statement would grow the table without end: a pool that writes them
   * deletes their keys older than ONCE_KEY_KEEP_MS, in the background, at most every
   * ONCE_PURGE_EVERY_MS (the app's own keys are left to `pool.idempotency.purge`).
   */
  private purgeOnceKeysNowAndThen(): void {
    const now = this.clock.now();
    if (now < this.nextOncePurge) return;
    this.nextOncePurge = now + ONCE_PURGE_EVERY_MS;
    this.store
      .purge(ONCE_KEY_KEEP_MS, ONCE_KEY_PREFIX)
      .then((count) => debug('purged %d exactly-once keys', count))
      .catch((error: unknown) => debug('could not purge exactly-once keys: %s', (error as Error).message));
  }

  /** `pool.idempotency.purge({ olderThan })`. */
  purge(options: unknown): Promise<number> {
    try {
      return this.store.purge(resolvePurgeOptions(options).olderThanMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private runOutermost<T>(
    fn: TransactionFunction<Handle, T>,
    options: ResolvedTransactionOptions,
  ): Promise<T>;
  private runOutermost<T>(
    fn: TransactionFunction<Handle, T>,
    options: ResolvedTransactionOptions,
    once: Once<T>,
  ): Promise<T | StoredResult>;
  private async runOutermost<T>(
    fn: TransactionFunction<Handle, T>,
    options: ResolvedTransactionOptions,
    once?: Once<T>,
  ): Promise<T | StoredResult> {
    const key = options.idempotencyKey;
    let previous: Previous | undefined;
    for (let attempt = 1; ; attempt++) {
      // A fresh key of runOnce cannot be stored yet: its first attempt skips the lookup.
      if (key !== undefined && (once === undefined || previous !== undefined)) {
        const stored = await this.lookup(key, previous);
        if (stored.found) return once ? new StoredResult(stored.value) : (stored.value as T);
      }
      if (previous) {
        if (attempt > options.maxAttempts) throw this.exhausted(attempt - 1, previous, options);
        await this.backoff(attempt - 1, previous, key);
      }
      const pinned = await this.engine.acquire(previous?.node);
      if (once && previous === undefined) await this.store.ensure();
      const outcome = await this.attempt(
        new TransactionAttempt(pinned, this.engine, this.driver),
        fn,
        options,
        once?.summarize,
      );
      if (outcome.committed) return outcome.value;
      previous = this.next(outcome.failure, pinned.node, options, attempt);
    }
  }

  /** What follows a failed attempt: a re-run (returned), or the error thrown to the caller. */
  private next(
    failure: AttemptFailure,
    node: NodeView,
    options: ResolvedTransactionOptions,
    attempt: number,
  ): Previous {
    const decision = decideTransactionFailure(failure, options.idempotencyKey !== undefined);
    debug('attempt %d on %s failed (%s): %s', attempt, node.name, failure.cause, decision.action);
    switch (decision.action) {
      case 'surface':
        throw failure.error;
      case 'commit-unknown':
        throw new CommitOutcomeUnknownError(
          'no-key',
          `The connection to ${node.name} was lost while COMMIT was in flight: the transaction may or may not ` +
            'have committed, and without an idempotency key there is no telling, so it was not run again. ' +
            "Give it one (pool.transaction(fn, { idempotencyKey: 'checkout:' + cartId })): the pool then " +
            'writes the key in the same transaction and resolves this case itself.',
          { ...context(node, attempt, failure.error) },
        );
      case 'resolve':
        return { failure, reason: 'commit-not-applied', node, commitInDoubt: true };
      case 'rerun':
        if (decision.reason === 'idempotency-table-missing') this.store.forget();
        return { failure, reason: decision.reason, node, commitInDoubt: false };
    }
  }

  /** One run of `fn` on `attempt`'s connection, from BEGIN to COMMIT; the connection is given back. */
  private async attempt<T>(
    attempt: TransactionAttempt<Connection>,
    fn: TransactionFunction<Handle, T>,
    options: ResolvedTransactionOptions,
    /** runOnce: what to store of the result; the caller then gets the live result. */
    summarize?: (value: T) => unknown,
  ): Promise<AttemptOutcome<T>> {
    const key = options.idempotencyKey;
    /** The server ended the transaction (committed, or rolled back at COMMIT): nothing to roll back. */
    let ended = false;
    try {
      for (const sql of this.driver.dialect.begin(options.isolationLevel)) {
        const begun = await attempt.statement(sql, 'before-commit');
        if (!begun.ok) return { committed: false, failure: begun.failure };
      }
      const handle = this.driver.handle(attempt);
      let value: T;
      try {
        value = await this.joinable.run({ attempt, handle, options }, () => fn(handle));
      } catch (error) {
        return {
          committed: false,
          failure: attempt.doomed ?? { stage: 'before-commit', cause: 'application', error },
        };
      }
      if (attempt.doomed) return { committed: false, failure: attempt.doomed };
      let stored: string | null = null;
      if (key !== undefined) {
        try {
          stored = serialize(summarize ? summarize(value) : value);
        } catch (error) {
          return { committed: false, failure: { stage: 'before-commit', cause: 'application', error } };
        }
        const failure = await attempt.insertKey(this.store.sql.insert(key, stored));
        if (failure) return { committed: false, failure };
      }
      const refusal = attempt.refusalIfNotPrimary();
      if (refusal) return { committed: false, failure: refusal };
      const commit = await attempt.statement(this.driver.dialect.commit, 'commit');
      if (!commit.ok) return { committed: false, failure: commit.failure };
      if (commit.result.command?.toUpperCase() === 'ROLLBACK') {
        // PostgreSQL ends a transaction that an error aborted with ROLLBACK, even when asked to COMMIT:
        // the function caught a statement's error and went on.
        ended = true;
        return { committed: false, failure: rolledBack(attempt.swallowedError) };
      }
      ended = true;
      const live = key === undefined || summarize !== undefined;
      return { committed: true, value: live ? value : (parseStored(stored) as T) };
    } finally {
      await attempt.close(!ended);
    }
  }

  /**
   * A nested call joins the transaction it runs in: its function gets the same handle, commits or
   * rolls back with it, and runs again when it does. With a key of its own, the key is looked up and
   * written inside that transaction, so the nested work happens once even across the outer one's
   * re-runs.
   */
  private async join<T>(
    outer: Joinable<Connection, Handle>,
    fn: TransactionFunction<Handle, T>,
    options: ResolvedTransactionOptions,
  ): Promise<T> {
    const level = options.isolationLevel;
    if (level !== undefined && level !== outer.options.isolationLevel) {
      throw new ConfigError(
        'transaction.isolationLevel',
        `a nested pool.transaction() joins the transaction it is called in, which runs at ` +
          `${outer.options.isolationLevel ?? "the server's default level"}; leave the option out of the nested call.`,
      );
    }
    const key = options.idempotencyKey;
    if (key === undefined) return fn(outer.handle);
    await this.store.ensure();
    const select = this.store.sql.select(key);
    const { rows } = await outer.attempt.run(undefined, (connection) =>
      this.driver.execute(connection, select.sql, select.values),
    );
    if (rows[0]) return parseStored(rows[0].result) as T;
    const stored = serialize(await fn(outer.handle));
    const failure = await outer.attempt.insertKey(this.store.sql.insert(key, stored));
    if (failure) throw failure.error;
    return parseStored(stored) as T;
  }

  /**
   * The key on the current primary (the table created first if need be). After a COMMIT in doubt, a
   * failed lookup leaves the outcome unknown: CommitOutcomeUnknownError rather than the lookup's own
   * error, which would say that nothing was applied.
   */
  private async lookup(key: string, previous: Previous | undefined) {
    try {
      await this.store.ensure();
      return await this.store.lookup(key);
    } catch (error) {
      if (!previous?.commitInDoubt) throw error;
      throw new CommitOutcomeUnknownError(
        'unresolved',
        `The connection to ${previous.node.name} was lost while COMMIT was in flight, and the idempotency key ` +
          `"${key}" could not be looked up on a primary since (the cause says why; failover.waitForPrimaryMs ` +
          'bounds the wait). Call pool.transaction again with the same key once a primary is back: it returns ' +
          'the stored result if the transaction committed, and runs it otherwise.',
        { ...context(previous.node, undefined, error), idempotencyKey: key },
      );
    }
  }

  private async backoff(attempt: number, previous: Previous, key: string | undefined): Promise<void> {
    const delayMs = Math.max(0, this.retryDelayMs(attempt));
    debug('re-running after attempt %d (%s) in %d ms', attempt, previous.reason, Math.round(delayMs));
    this.emit('transactionRetry', {
      attempt,
      node: previous.node.name,
      reason: previous.reason,
      error: previous.failure.error,
      delayMs,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    if (delayMs > 0) await new Promise<void>((resolve) => this.clock.setTimer(resolve, delayMs, true));
  }

  private exhausted(attempts: number, previous: Previous, options: ResolvedTransactionOptions) {
    return new TransactionAttemptsExhaustedError(
      `The transaction ran ${attempts} times (transaction.maxAttempts is ${options.maxAttempts}) and none ` +
        `committed; the last attempt failed with ${previous.reason}. Nothing was committed. Raise ` +
        '`maxAttempts` on the call or `transactions.maxAttempts` on the pool' +
        (previous.failure.cause === 'conflict'
          ? ', or make concurrent transactions touch fewer rows in common.'
          : '.'),
      previous.reason,
      context(previous.node, attempts, previous.failure.error),
    );
  }
}

function context(node: NodeView, attempt: number | undefined, cause: unknown) {
  return {
    host: node.host,
    port: node.port,
    role: node.role,
    cause,
    ...(attempt === undefined ? {} : { attempt }),
  };
}

/** The function's result as stored with its key: JSON, NULL for undefined. */
function serialize(value: unknown): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw Object.assign(
      new ConfigError(
        'transaction.idempotencyKey',
        `with an idempotency key the function's result is stored as JSON, and this one cannot be ` +
          `(${(error as Error).message}). Return ids or plain objects (BigInts as strings).`,
      ),
      { cause: error },
    );
  }
  return text ?? null;
}

function rolledBack(swallowed: unknown): AttemptFailure {
  const error =
    swallowed ??
    new Error(
      'The transaction was rolled back at COMMIT (a statement in it had failed); nothing was committed.',
    );
  return { stage: 'commit', cause: 'application', error };
}
