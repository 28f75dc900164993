import { randomBytes } from 'node:crypto';
import type { Row, RunSql } from '../../core/dialect';
import type { NodeOperations } from '../../core/node-operations';

/** The least-privileged account of promotion by the library (docs/promotion.md), as created. */
export interface PromotionAccount {
  readonly user: string;
  readonly password: string;
}

/** One statement of the account's creation; `inAppDatabase`: run where the app's sessions log in. */
export interface AccountStatement {
  readonly sql: string;
  readonly inAppDatabase?: boolean;
}

/**
 * PostgreSQL 15+ (GRANT ALTER SYSTEM ON PARAMETER needs it). Functions belong to a database, so
 * EXECUTE is granted where the pools' sessions log in; the rest is cluster-wide. docs/postgres.md
 * gives the same SQL.
 */
export function postgresPromotionAccount(user: string, password: string): AccountStatement[] {
  return [
    { sql: `CREATE ROLE ${user} LOGIN PASSWORD '${password}'` },
    { sql: `GRANT pg_monitor TO ${user}` },
    ...['pg_promote(boolean, integer)', 'pg_reload_conf()'].map((fn) => ({
      sql: `GRANT EXECUTE ON FUNCTION ${fn} TO ${user}`,
      inAppDatabase: true,
    })),
    ...['primary_conninfo', 'default_transaction_read_only', 'synchronous_standby_names'].map(
      (parameter) => ({ sql: `GRANT ALTER SYSTEM ON PARAMETER ${parameter} TO ${user}` }),
    ),
  ];
}

/** MariaDB 10.11 (docs/mysql.md gives the same SQL). */
export function mariadbPromotionAccount(user: string, password: string): AccountStatement[] {
  const account = `'${user}'@'127.0.0.1'`;
  return [
    { sql: `CREATE USER ${account} IDENTIFIED BY '${password}'` },
    {
      sql: `GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, RELOAD, SLAVE MONITOR, BINLOG MONITOR ON *.* TO ${account}`,
    },
  ];
}

/** A fresh random password for an account made by the harness. */
export function accountPassword(): string {
  return randomBytes(12).toString('hex');
}

/**
 * Resolves once every one of `replicas` has applied everything `primary` had committed when called
 * (what was created on the primary, such as an account, is then on every replica).
 */
export async function replicasApplied(
  operations: NodeOperations,
  query: (node: string, sql: string, values?: unknown[]) => Promise<Row[]>,
  primary: string,
  replicas: readonly string[],
): Promise<void> {
  const runOn =
    (node: string): RunSql =>
    (sql, values) =>
      query(node, sql, values as unknown[] | undefined);
  const position = await operations.currentPosition(runOn(primary));
  for (const replica of replicas) {
    if (!(await operations.waitForPosition(runOn(replica), position, 30_000))) {
      throw new Error(`${replica} did not apply ${primary}'s position ${position} within 30 s.`);
    }
  }
}
