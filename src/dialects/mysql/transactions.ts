import type {
  IdempotencySql,
  IsolationLevel,
  TransactionConflict,
  TransactionDialect,
} from '../../core/transaction-dialect';
import { isTransactionControl, likeEscaped, quoteQualified } from '../transaction-sql';
import { errnoOf } from './errors';

/** Server error numbers of the conflicts a re-run of the whole transaction cures. */
const CONFLICTS: ReadonlyMap<number, TransactionConflict> = new Map([
  [1213, 'deadlock'], // ER_LOCK_DEADLOCK; also a Galera certification failure at COMMIT
  // ER_LOCK_WAIT_TIMEOUT: InnoDB rolls back only the statement (innodb_rollback_on_timeout=OFF), so
  // the runner rolls back the rest: a transaction missing one statement must never commit.
  [1205, 'lock-timeout'],
  [3572, 'lock-timeout'], // ER_LOCK_NOWAIT (MySQL 8)
  // ER_CHECKREAD, "Record has changed since last read": MariaDB 11.6+ with innodb_snapshot_isolation
  // reports a write conflict under REPEATABLE READ this way, as a serialization failure.
  [1020, 'serialization-failure'],
]);
const DUPLICATE_ENTRY = new Set([1062, 1586]);
const NO_SUCH_TABLE = 1146;
const TABLE_EXISTS = 1050;
/** Table, database and specific-privilege denials. */
const DENIED = new Set([1142, 1044, 1227]);

/**
 * MySQL's and MariaDB's transactions. MySQL sets the next transaction's isolation with a statement of
 * its own, which applies to that one transaction only (not to the pooled session). The idempotency
 * table is InnoDB (a MyISAM table would ignore the transaction) with a binary-collated key, so keys
 * differing only in case stay distinct, and holds UTC server times, so purging does not depend on
 * any session's time zone.
 */
export const mysqlTransactions: TransactionDialect = {
  begin: (isolation: IsolationLevel | undefined) =>
    isolation
      ? [`SET TRANSACTION ISOLATION LEVEL ${isolation.toUpperCase()}`, 'START TRANSACTION']
      : ['START TRANSACTION'],
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  isTransactionControl,
  conflictOf: (error) => {
    const errno = errnoOf(error);
    return errno === undefined ? undefined : CONFLICTS.get(errno);
  },
  isUniqueViolation: (error) => DUPLICATE_ENTRY.has(errnoOf(error) ?? 0),
  isUndefinedTable: (error) => errnoOf(error) === NO_SUCH_TABLE,
  isPermissionDenied: (error) => DENIED.has(errnoOf(error) ?? 0),
  isConcurrentCreate: (error) => errnoOf(error) === TABLE_EXISTS,
  idempotency: mysqlIdempotency,
};

function mysqlIdempotency(table: string): IdempotencySql {
  const name = quoteQualified(table, '`');
  const [schema, bare] = table.includes('.') ? table.split('.') : [null, table];
  return {
    exists: () => ({
      sql: `SELECT COUNT(*) AS present FROM information_schema.tables
        WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
      values: [schema, bare],
    }),
    create: () => [
      `CREATE TABLE IF NOT EXISTS ${name} (
        idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        result LONGTEXT CHARACTER SET utf8mb4 NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (idempotency_key),
        KEY created_at (created_at)
      ) ENGINE=InnoDB`,
    ],
    select: (key) => ({ sql: `SELECT result FROM ${name} WHERE idempotency_key = ?`, values: [key] }),
    insert: (key, result) => ({
      sql: `INSERT INTO ${name} (idempotency_key, result, created_at) VALUES (?, ?, UTC_TIMESTAMP(3))`,
      values: [key, result],
    }),
    purge: (olderThanMs, batch, keyPrefix) => ({
      sql:
        `DELETE FROM ${name} WHERE created_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND` +
        `${keyPrefix === undefined ? '' : ' AND idempotency_key LIKE ?'} LIMIT ?`,
      values:
        keyPrefix === undefined
          ? [Math.round(olderThanMs * 1000), batch]
          : [Math.round(olderThanMs * 1000), `${likeEscaped(keyPrefix)}%`, batch],
    }),
  };
}
