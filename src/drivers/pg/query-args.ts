import type pg from 'pg';
import { isReRunnable, type QueryFlags } from '../../core/query-flags';
import { onlyStartsTransaction } from '../../core/transaction-start';

/** pg's query config, with failover-pool's flags. */
export type FailoverQueryConfig<I = unknown[]> = pg.QueryConfig<I> & QueryFlags;
export type FailoverQueryArrayConfig<I = unknown[]> = pg.QueryArrayConfig<I> & QueryFlags;

export type QueryCallback<R> = (error: Error | undefined, result: R | undefined) => void;

/** A query call in its one normal form. */
export interface QueryCall {
  readonly config: pg.QueryConfig;
  readonly reRunnable: boolean;
  readonly callback: QueryCallback<pg.QueryResult> | undefined;
}

/**
 * pg's query takes (text), (text, values), (config), (config, values), each with an optional
 * callback last. A submittable (cursor, stream) is not accepted here, as pg.Pool's query does not
 * support it either: take a client with `connect()`.
 */
export function parseQueryCall(first: unknown, second?: unknown, third?: unknown): QueryCall {
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
    return { config, reRunnable: onlyStartsTransaction(first), callback };
  }
  if (typeof first !== 'object' || first === null) {
    throw new TypeError('Client was passed a null or undefined query');
  }
  const { idempotent, readOnly, ...config } = first as FailoverQueryConfig;
  const reRunnable =
    isReRunnable({ idempotent, readOnly }) ||
    (typeof config.text === 'string' && onlyStartsTransaction(config.text));
  if (values) config.values = values;
  return { config, reRunnable, callback };
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
