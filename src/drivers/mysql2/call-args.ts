import type mysql from 'mysql2';
import { type QueryFlags, refusePoolOnlyFlags, takeFlags, wantsExactlyOnce } from '../../core/query-flags';
import { onlyStartsTransaction } from '../../core/transaction-start';

/** mysql2's query options, with failover-pool's flags. */
export type FailoverQueryOptions = mysql.QueryOptions & QueryFlags;

/** mysql2's node-style callback: (error, rows or OK packet, fields). */
export type ResultCallback = (error: Error | null, result?: unknown, fields?: unknown) => unknown;

/** A query or execute call in its one normal form. */
export interface StatementCall {
  readonly kind: 'query' | 'execute';
  /** mysql2 options (sql, values, and per-query settings), without failover-pool's flags. */
  readonly options: mysql.QueryOptions;
  readonly reRunnable: boolean;
  /** Run in a transaction with an idempotency key (the flag, or the pool's `failover.exactlyOnce`). */
  readonly exactlyOnce: boolean;
  /** `readFrom: 'replica'`: read on a replica, `after` a causal token if given (as given: the engine reads it). */
  readonly replica?: { readonly after: unknown };
  readonly callback: ResultCallback | undefined;
}

/**
 * mysql2's `query` and `execute` take (sql), (sql, values), (options), (options, values), each with
 * an optional callback last. Values follow mysql2's rules: a separate `values` argument wins over
 * `options.values` for `query`, and only fills a gap for `execute`.
 */
export function parseStatementCall(
  kind: 'query' | 'execute',
  args: readonly unknown[],
  exactlyOnceByDefault = false,
  /** `'replica'` for a reader's statements (`pool.reader()`). */
  readFromByDefault: 'primary' | 'replica' = 'primary',
): StatementCall {
  let [first, values, callback] = args;
  if (typeof values === 'function') {
    callback = values;
    values = undefined;
  }
  if (callback !== undefined && typeof callback !== 'function') {
    throw new TypeError(`The last argument of ${kind}() must be a callback function`);
  }
  if (typeof first === 'string') {
    const options: mysql.QueryOptions = { sql: first };
    if (values !== undefined) options.values = values as mysql.QueryValues;
    if (readFromByDefault === 'replica') {
      const replica = { after: undefined };
      return {
        kind,
        options,
        reRunnable: true,
        exactlyOnce: false,
        replica,
        callback: callback as ResultCallback,
      };
    }
    const reRunnable = onlyStartsTransaction(first);
    const exactlyOnce = !reRunnable && wantsExactlyOnce(undefined, exactlyOnceByDefault, first);
    return { kind, options, reRunnable, exactlyOnce, callback: callback as ResultCallback | undefined };
  }
  if (typeof first !== 'object' || first === null || typeof (first as { sql?: unknown }).sql !== 'string') {
    throw new TypeError(`${kind}() needs the SQL text, or an options object with \`sql\``);
  }
  const given = first as FailoverQueryOptions;
  const { rest, flags } = takeFlags(given, given.sql, exactlyOnceByDefault, readFromByDefault);
  const options = rest as mysql.QueryOptions;
  if (values !== undefined && (kind === 'query' || options.values === undefined)) {
    options.values = values as mysql.QueryValues;
  }
  return { kind, options, ...flags, callback: callback as ResultCallback | undefined };
}

/** `exactlyOnce` and `readFrom: 'replica'` belong to the pool's own query/execute (query-flags.ts). */
export function refuseExactlyOnce(call: StatementCall, where: string): void {
  refusePoolOnlyFlags(call, where, 'pool.query / pool.execute');
}
