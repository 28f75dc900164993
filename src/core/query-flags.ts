import { ConfigError } from './errors';
import { onlyStartsTransaction } from './transaction-start';

/** What failover-pool adds to a statement's options, in every driver's query API. */
export interface QueryFlags {
  /**
   * Running this write twice does no harm (an upsert, a `SET x = 5`): if its connection dies after
   * it was sent, it is re-run on the new primary instead of failing with WriteOutcomeUnknownError.
   */
  idempotent?: boolean;
  /** This statement only reads: it may be re-run after any connection failure. */
  readOnly?: boolean;
  /**
   * This write happens exactly once, and its caller never sees WriteOutcomeUnknownError for it: it
   * runs in a transaction with an idempotency key, so that a COMMIT whose connection died is looked
   * up on the new primary (committed: its result; not: run again). Costs three more round trips.
   * For data-changing statements (no DDL: MySQL commits DDL on its own). docs/transactions.md.
   */
  exactlyOnce?: boolean;
  /**
   * `'replica'`: this statement only reads, and may read from a replica within `reads.maxLagMs`
   * (the primary when none is fit). Default `'primary'`. docs/reads.md.
   */
  readFrom?: 'primary' | 'replica';
  /**
   * A token from `pool.causalToken()` (this app instance's or another's): a replica reads only once
   * it has applied every write the token covers (waiting up to `reads.causalWaitMs`), else the primary reads.
   */
  after?: string;
}

/** Where a read goes, from its flags: undefined for the primary (the default); `after` as given (checked by the engine). */
export function replicaReadOf(
  flags: Pick<QueryFlags, 'readFrom' | 'after' | 'exactlyOnce'>,
): { after: unknown } | undefined {
  const { readFrom, after } = flags;
  if (readFrom !== undefined && readFrom !== 'primary' && readFrom !== 'replica') {
    throw new ConfigError(
      'query.readFrom',
      `expected 'primary' or 'replica', got ${JSON.stringify(readFrom)}.`,
    );
  }
  if (readFrom !== 'replica') return undefined;
  if (flags.exactlyOnce === true) {
    throw new ConfigError(
      'query.readFrom',
      "a replica takes no writes: leave out `exactlyOnce` or `readFrom: 'replica'`.",
    );
  }
  return { after };
}

/**
 * Whether to run a statement exactly once: its own `exactlyOnce` flag, else the pool's
 * `failover.exactlyOnce` for statements that change data. A re-runnable statement (`readOnly`,
 * `idempotent`) needs none of it.
 */
export function wantsExactlyOnce(flag: unknown, poolDefault: boolean, sql: string | undefined): boolean {
  checkFlag(flag, 'exactlyOnce');
  if (flag !== undefined) return flag === true;
  return poolDefault && sql !== undefined && changesData(sql);
}

/** A statement that changes rows: INSERT, UPDATE, DELETE, REPLACE, MERGE, or a WITH around one. */
export function changesData(sql: string): boolean {
  const text = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  const word = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
  if (word === undefined) return false;
  if (DATA_CHANGING.has(word)) return true;
  return word === 'WITH' && /\b(INSERT|UPDATE|DELETE|MERGE)\b/i.test(text);
}

const DATA_CHANGING = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'MERGE', 'UPSERT']);

/** Whether a statement with these flags may be run twice; a flag that is not a boolean is an error. */
export function isReRunnable(flags: QueryFlags): boolean {
  checkFlag(flags.idempotent, 'idempotent');
  checkFlag(flags.readOnly, 'readOnly');
  return flags.idempotent === true || flags.readOnly === true;
}

function checkFlag(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ConfigError(`query.${name}`, `expected true or false, got ${typeof value}.`);
  }
}

/**
 * `exactlyOnce` and `readFrom: 'replica'` belong to the pool's own statements (`methods`): a
 * checked-out connection or a transaction stays on its node, and has its own way to be exactly once.
 */
export function refusePoolOnlyFlags(
  call: { readonly exactlyOnce: boolean; readonly replica?: unknown },
  where: string,
  methods: string,
): void {
  if (call.exactlyOnce) {
    throw new ConfigError(
      'query.exactlyOnce',
      `it applies to ${methods} only, not to ${where}: run the work in pool.transaction(fn, { idempotencyKey }), ` +
        'which makes the whole transaction exactly once.',
    );
  }
  if (call.replica !== undefined) {
    throw new ConfigError(
      'query.readFrom',
      `it applies to ${methods} only, not to ${where}, which stays on its node: read with ${methods}, or pool.reader().`,
    );
  }
}

/** What a statement's flags decide: whether it may run twice, exactly once, or on a replica. */
export interface StatementFlags {
  readonly reRunnable: boolean;
  readonly exactlyOnce: boolean;
  readonly replica?: { readonly after: unknown };
}

/**
 * Takes failover-pool's flags out of a driver's statement options (`given`, whose SQL is `sql`):
 * the options left for the driver, and what the flags decide (the pool's `failover.exactlyOnce` as
 * `exactlyOnceByDefault`).
 */
export function takeFlags<T extends QueryFlags>(
  given: T,
  sql: unknown,
  exactlyOnceByDefault: boolean,
  readFromByDefault: 'primary' | 'replica' = 'primary',
): { rest: Omit<T, keyof QueryFlags>; flags: StatementFlags } {
  const { idempotent, readOnly, exactlyOnce: flag, readFrom, after, ...rest } = given;
  const replica = replicaReadOf({ readFrom: readFrom ?? readFromByDefault, after, exactlyOnce: flag });
  const text = typeof sql === 'string' ? sql : undefined;
  const reRunnable =
    isReRunnable({ idempotent, readOnly }) ||
    (text !== undefined && onlyStartsTransaction(text)) ||
    replica !== undefined;
  const exactlyOnce =
    replica === undefined && wantsExactlyOnce(flag, exactlyOnceByDefault && !reRunnable, text);
  return { rest, flags: { reRunnable, exactlyOnce, ...(replica && { replica }) } };
}
