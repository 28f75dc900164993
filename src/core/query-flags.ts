import { ConfigError } from './errors';

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
