import { ConfigError } from './errors';
import { ISOLATION_LEVELS, type IsolationLevel } from './transaction-dialect';
import { describe, optionalNumber, rejectUnknownKeys, requireObject } from './validate';

/** The pool's `transactions` option: defaults for every `pool.transaction` call. */
export interface TransactionsOptions {
  /**
   * Where idempotency keys are stored: `name` or `schema.name` (`database.name` on MySQL). Created on
   * first use if the pool's user may; see docs/transactions.md. Default `failover_pool_idempotency`.
   */
  idempotencyTable?: string;
  /** Runs of the function per call, the first included, unless the call says otherwise. Default 5. */
  maxAttempts?: number;
}

/** The options of one `pool.transaction(fn, options)` call. */
export interface TransactionOptions {
  /**
   * Makes the transaction exactly-once: the key and the function's result (as JSON) are written in the
   * same transaction, so a COMMIT whose connection dies is resolved by looking the key up on the
   * primary, and a call with a key already stored returns the stored result without running the
   * function. At most 255 characters. With a key the result is always the JSON round trip of what the
   * function returned (the same whether it came from this run or from the store).
   */
  idempotencyKey?: string;
  /** Runs of the function, the first included (default: the pool's `transactions.maxAttempts`, 5). */
  maxAttempts?: number;
  /** The transaction's isolation level (default: the server's). */
  isolationLevel?: IsolationLevel;
}

export interface ResolvedTransactionsOptions {
  readonly idempotencyTable: string;
  readonly maxAttempts: number;
}

export interface ResolvedTransactionOptions {
  readonly idempotencyKey: string | undefined;
  readonly maxAttempts: number;
  readonly isolationLevel: IsolationLevel | undefined;
}

export const DEFAULT_IDEMPOTENCY_TABLE = 'failover_pool_idempotency';
/** The key column is VARCHAR(255) on MySQL; the same limit on PostgreSQL keeps keys portable. */
export const MAX_KEY_LENGTH = 255;

const POOL_KEYS = ['idempotencyTable', 'maxAttempts'];
const CALL_KEYS = ['idempotencyKey', 'maxAttempts', 'isolationLevel'];
/** Unquoted identifiers only (the dialect quotes them), each short enough for the index name. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,47}(\.[A-Za-z_][A-Za-z0-9_]{0,47})?$/;

export function resolveTransactionsOptions(value: unknown): ResolvedTransactionsOptions {
  const o = value === undefined ? {} : requireObject(value, 'transactions');
  rejectUnknownKeys(o, POOL_KEYS, 'transactions');
  const table = o.idempotencyTable ?? DEFAULT_IDEMPOTENCY_TABLE;
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new ConfigError(
      'transactions.idempotencyTable',
      `expected a table name such as "failover_pool_idempotency" or "app.idempotency" (letters, digits ` +
        `and _, at most 48 characters a part), got ${describe(table)}.`,
    );
  }
  return {
    idempotencyTable: table,
    maxAttempts: optionalNumber(o.maxAttempts, 'transactions.maxAttempts', 5, { min: 1, integer: true }),
  };
}

export function resolveTransactionOptions(
  value: unknown,
  defaults: ResolvedTransactionsOptions,
): ResolvedTransactionOptions {
  const o = value === undefined ? {} : requireObject(value, 'transaction');
  rejectUnknownKeys(o, CALL_KEYS, 'transaction');
  return {
    idempotencyKey: keyOption(o.idempotencyKey),
    maxAttempts: optionalNumber(o.maxAttempts, 'transaction.maxAttempts', defaults.maxAttempts, {
      min: 1,
      integer: true,
    }),
    isolationLevel: isolationOption(o.isolationLevel),
  };
}

/** `pool.idempotency.purge({ olderThan })`: a duration in milliseconds. */
export function resolvePurgeOptions(value: unknown): { olderThanMs: number } {
  const o = requireObject(value, 'purge');
  rejectUnknownKeys(o, ['olderThan'], 'purge');
  if (o.olderThan === undefined) {
    throw new ConfigError(
      'purge.olderThan',
      'required: how old (in milliseconds, by the server clock) a key must be to be removed, e.g. ' +
        '{ olderThan: 7 * 24 * 3600 * 1000 } for a week.',
    );
  }
  return { olderThanMs: optionalNumber(o.olderThan, 'purge.olderThan', 0, { min: 0 }) };
}

function keyOption(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(
      'transaction.idempotencyKey',
      `expected a non-empty string such as \`checkout:\${cartId}\`, got ${describe(value)}.`,
    );
  }
  // Characters, not UTF-16 units: what a VARCHAR(255) counts.
  const length = [...value].length;
  if (length > MAX_KEY_LENGTH) {
    throw new ConfigError(
      'transaction.idempotencyKey',
      `must be at most ${MAX_KEY_LENGTH} characters, got ${length}; hash a longer natural key.`,
    );
  }
  return value;
}

function isolationOption(value: unknown): IsolationLevel | undefined {
  if (value === undefined) return undefined;
  const level = typeof value === 'string' ? value.trim().toLowerCase().replace(/\s+/g, ' ') : undefined;
  if (level === undefined || !(ISOLATION_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(
      'transaction.isolationLevel',
      `expected one of ${ISOLATION_LEVELS.map((l) => `'${l}'`).join(', ')}, got ${describe(value)}.`,
    );
  }
  return level as IsolationLevel;
}

/** `pool.idempotency`: the keys `pool.transaction` stored. */
export interface IdempotencyKeys {
  /**
   * Removes the keys written more than `olderThan` milliseconds ago by the database server's clock, in
   * batches; resolves to how many it removed. Keep keys longer than any caller may repeat a request
   * (see docs/transactions.md).
   */
  purge(options: { olderThan: number }): Promise<number>;
}
