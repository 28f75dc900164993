import type pg from 'pg';
import { ConfigError } from '../../core/errors';
import { isReRunnable, type QueryFlags, wantsExactlyOnce } from '../../core/query-flags';
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
    const reRunnable = onlyStartsTransaction(first);
    const exactlyOnce = !reRunnable && wantsExactlyOnce(undefined, exactlyOnceByDefault, first);
    return { config, reRunnable, exactlyOnce, callback };
  }
  if (typeof first !== 'object' || first === null) {
    throw new TypeError('Client was passed a null or undefined query');
  }
  const { idempotent, readOnly, exactlyOnce: flag, ...config } = first as FailoverQueryConfig;
  const reRunnable =
    isReRunnable({ idempotent, readOnly }) ||
    (typeof config.text === 'string' && onlyStartsTransaction(config.text));
  const exactlyOnce = wantsExactlyOnce(flag, exactlyOnceByDefault && !reRunnable, config.text);
  if (values) config.values = values;
  return { config, reRunnable, exactlyOnce, callback };
}

/** `exactlyOnce` belongs to `pool.query`: a checked-out client or a transaction has its own way. */
export function refuseExactlyOnce(call: QueryCall, where: string): void {
  if (!call.exactlyOnce) return;
  throw new ConfigError(
    'query.exactlyOnce',
    `it applies to pool.query only, not to ${where}: run the work in pool.transaction(fn, { idempotencyKey }), ` +
      'which makes the whole transaction exactly once.',
  );
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
