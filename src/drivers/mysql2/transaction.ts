import type mysql from 'mysql2';
import type { ExecuteValues, FieldPacket, QueryResult, QueryValues } from 'mysql2/promise';
import type { StatementGate } from '../../core/transaction-driver';
import { parseStatementCall, refuseExactlyOnce } from './call-args';
import { runStatement } from './statement';

type Result<T> = Promise<[T, FieldPacket[]]>;

/**
 * What the function given to `pool.transaction` gets: mysql2/promise's `query` and `execute` on the
 * transaction's connection, results as `[rows, fields]`. Do not call the pool's own `query` inside
 * the function: that runs outside the transaction, on another connection.
 */
export interface MysqlTransaction {
  query<T extends QueryResult>(sql: string, values?: QueryValues): Result<T>;
  query<T extends QueryResult>(options: mysql.QueryOptions, values?: QueryValues): Result<T>;
  execute<T extends QueryResult>(sql: string, values?: ExecuteValues): Result<T>;
  execute<T extends QueryResult>(options: mysql.QueryOptions, values?: ExecuteValues): Result<T>;
}

/** What the function given to `pool.transaction` gets, over the runner's gate. */
export function mysqlTransactionHandle(multipleStatements: boolean) {
  return (gate: StatementGate<mysql.PoolConnection>): MysqlTransaction =>
    ({
      query: (...args: unknown[]) => statement(gate, 'query', args, multipleStatements),
      execute: (...args: unknown[]) => statement(gate, 'execute', args, multipleStatements),
    }) as MysqlTransaction;
}

async function statement(
  gate: StatementGate<mysql.PoolConnection>,
  kind: 'query' | 'execute',
  args: unknown[],
  multipleStatements: boolean,
): Promise<unknown[]> {
  const call = parseStatementCall(kind, args);
  refuseExactlyOnce(
    call,
    'tx.query / tx.execute (the transaction is exactly once with its own idempotencyKey)',
  );
  // mysql2/promise's own words for a callback given to a promise API.
  if (call.callback) throw new Error('Callback function is not available with promise clients.');
  const result = await gate.run(call.options.sql, (connection) =>
    runStatement(connection, call, multipleStatements),
  );
  return [...result];
}
