import type {
  IdempotencySql,
  IsolationLevel,
  TransactionConflict,
  TransactionDialect,
} from '../../core/transaction-dialect';
import { isTransactionControl, likeEscaped, quoteQualified } from '../transaction-sql';
import { sqlState } from './errors';

/** SQLSTATEs of the conflicts a re-run of the whole transaction cures. */
const CONFLICTS: Readonly<Record<string, TransactionConflict>> = {
  '40001': 'serialization-failure',
  '40P01': 'deadlock',
  // lock_timeout ran out, or NOWAIT found the row locked.
  '55P03': 'lock-timeout',
};
const UNIQUE_VIOLATION = '23505';
const UNDEFINED_TABLE = '42P01';
const INSUFFICIENT_PRIVILEGE = '42501';
const DUPLICATE_TABLE = '42P07';
/** duplicate_object: the loser of a concurrent CREATE may also trip over the table's row type. */
const DUPLICATE_OBJECT = '42710';

/**
 * PostgreSQL's transactions. Its `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent twin:
 * the loser fails with a unique violation on the catalog (or 42P07, 42710) instead of a notice, which
 * `isConcurrentCreate` recognises.
 */
export const postgresTransactions: TransactionDialect = {
  begin: (isolation: IsolationLevel | undefined) => [
    isolation ? `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}` : 'BEGIN',
  ],
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  isTransactionControl,
  conflictOf: (error) => CONFLICTS[sqlState(error) ?? ''],
  isUniqueViolation: (error) => sqlState(error) === UNIQUE_VIOLATION,
  isUndefinedTable: (error) => sqlState(error) === UNDEFINED_TABLE,
  isPermissionDenied: (error) => sqlState(error) === INSUFFICIENT_PRIVILEGE,
  isConcurrentCreate: (error) => {
    const state = sqlState(error);
    return state === UNIQUE_VIOLATION || state === DUPLICATE_TABLE || state === DUPLICATE_OBJECT;
  },
  idempotency: postgresIdempotency,
};

function postgresIdempotency(table: string): IdempotencySql {
  const name = quoteQualified(table, '"');
  const index = `"${table.split('.').pop()}_created_at_idx"`;
  return {
    exists: () => ({ sql: 'SELECT (to_regclass($1::text) IS NOT NULL)::int AS present', values: [name] }),
    create: () => [
      `CREATE TABLE IF NOT EXISTS ${name} (
        idempotency_key text PRIMARY KEY,
        result text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX IF NOT EXISTS ${index} ON ${name} (created_at)`,
    ],
    select: (key) => ({ sql: `SELECT result FROM ${name} WHERE idempotency_key = $1`, values: [key] }),
    insert: (key, result) => ({
      sql: `INSERT INTO ${name} (idempotency_key, result) VALUES ($1, $2)`,
      values: [key, result],
    }),
    // PostgreSQL's DELETE takes no LIMIT: a batch is chosen by a subquery.
    purge: (olderThanMs, batch, keyPrefix) => ({
      sql: `DELETE FROM ${name} WHERE idempotency_key IN (
        SELECT idempotency_key FROM ${name}
        WHERE created_at < now() - $1::float8 * interval '1 millisecond'${keyPrefix === undefined ? '' : ' AND idempotency_key LIKE $3'} LIMIT $2)`,
      values:
        keyPrefix === undefined ? [olderThanMs, batch] : [olderThanMs, batch, `${likeEscaped(keyPrefix)}%`],
    }),
  };
}
