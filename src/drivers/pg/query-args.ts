import type pg from 'pg';
import { ConfigError } from '../../core/errors';

/** What failover-pool adds to a pg query config. */
export interface FailoverQueryOptions {
  /**
   * Running this write twice does no harm (an upsert, a `SET x = 5`): if its connection dies after
   * it was sent, it is re-run on the new primary instead of failing with WriteOutcomeUnknownError.
   */
  idempotent?: boolean;
  /** This statement only reads: it may be re-run after any connection failure. */
  readOnly?: boolean;
}

export type FailoverQueryConfig<I = unknown[]> = pg.QueryConfig<I> & FailoverQueryOptions;
export type FailoverQueryArrayConfig<I = unknown[]> = pg.QueryArrayConfig<I> & FailoverQueryOptions;

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
export function parseQueryCall(args: readonly unknown[]): QueryCall {
  const list = [...args];
  const callback =
    typeof list[list.length - 1] === 'function' ? (list.pop() as QueryCall['callback']) : undefined;
  const [first, values] = list;
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
    return { config: values ? { text: first, values } : { text: first }, reRunnable: false, callback };
  }
  if (typeof first !== 'object' || first === null) {
    throw new TypeError('Client was passed a null or undefined query');
  }
  const { idempotent, readOnly, ...config } = first as FailoverQueryConfig;
  checkFlag(idempotent, 'idempotent');
  checkFlag(readOnly, 'readOnly');
  if (values) config.values = values;
  return { config, reRunnable: idempotent === true || readOnly === true, callback };
}

function checkFlag(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ConfigError(`query.${name}`, `expected true or false, got ${typeof value}.`);
  }
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
