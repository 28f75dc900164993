import type pg from 'pg';
import { type QueryFlags, refusePoolOnlyFlags, takeFlags, wantsExactlyOnce } from '../../core/query-flags';
import { onlyStartsTransaction } from '../../core/transaction-start';

/** pg's query config, with failover-pool's flags. */
export type FailoverQueryConfig<I = unknown[]> = pg.QueryConfig<I> & QueryFlags;
export type FailoverQueryArrayConfig<I = unknown[]> = pg.QueryArrayConfig<I> & QueryFlags;

export type QueryCallback<R> = (error: Error | undefined, result: R | undefined) => void;

/** A query call in its one normal form. */
export interface QueryCall {
  readonly config: pg.QueryConfig;
  readonly reRunnable: boolean;
  /** Run in a transaction with an idempotency key (the flag, or the pool's `failover.exactlyOnce`). */
  readonly exactlyOnce: boolean;
  /** `readFrom: 'replica'`: read on a replica, `after` a causal token if given (as given: the engine reads it). */
  readonly replica?: { readonly after: unknown };
  readonly callback: QueryCallback<pg.QueryResult> | undefined;
}

/**
 * pg's query takes (text), (text, values), (config), (config, values), each with an optional
 * callback last. A submittable (cursor, stream) is not accepted here, as pg.Pool's query does not
 * support it either: take a client with `connect()`.
 */
export function parseQueryCall(
  first: unknown,
  second?: unknown,
  third?: unknown,
  exactlyOnceByDefault = false,
  /** `'replica'` for a reader's statements (`pool.reader()`). */
  readFromByDefault: 'primary' | 'replica' = 'primary',
): QueryCall {
  let values = second;
  let callback: QueryCall['callback'];
  if (typeof third === 'function') callback = third as QueryCall['callback'];
  else if (typeof second === 'function') {
    callback = second as QueryCall['callback'];
    values = undefined;
  }
  if (typeof first === 'function') {
    throw new TypeError('Passing a function as the first parameter to pool.query is not supported');
  }
  if (isSubmittable(first)) {
    throw new TypeError(
      'pool.query() does not take a submittable (cursor, stream). Take a client with pool.connect() and ' +
        'call client.query() on it.',
    );
  }
  if (values !== undefined && values !== null && !Array.isArray(values)) {
    throw new TypeError('Query values must be an array');
  }
  if (typeof first === 'string') {
    const config = values ? { text: first, values } : { text: first };
    if (readFromByDefault === 'replica') {
      return { config, reRunnable: true, exactlyOnce: false, replica: { after: undefined }, callback };
    }
    const reRunnable = onlyStartsTransaction(first);
    const exactlyOnce = !reRunnable && wantsExactlyOnce(undefined, exactlyOnceByDefault, first);
    return { config, reRunnable, exactlyOnce, callback };
  }
  if (typeof first !== 'object' || first === null) {
    throw new TypeError('Client was passed a null or undefined query');
  }
  const given = first as FailoverQueryConfig;
  const { rest, flags } = takeFlags(given, given.text, exactlyOnceByDefault, readFromByDefault);
  const config = rest as pg.QueryConfig;
  if (values) config.values = values;
  return { config, ...flags, callback };
}

/** `exactlyOnce` and `readFrom: 'replica'` belong to `pool.query` (query-flags.ts). */
export function refuseExactlyOnce(call: QueryCall, where: string): void {
  refusePoolOnlyFlags(call, where, 'pool.query');
}

function isSubmittable(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { submit?: unknown }).submit === 'function'
  );
}

/** Calls a node-style callback outside any promise chain, so a throw in it is not swallowed. */
export function settleCallback<R>(promise: Promise<R>, callback: QueryCallback<R>): void {
  promise.then(
    (result) => process.nextTick(callback, undefined, result),
    (error: Error) => process.nextTick(callback, error, undefined),
  );
}
