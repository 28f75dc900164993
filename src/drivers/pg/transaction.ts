import type pg from 'pg';
import type { StatementGate } from '../../core/transaction-driver';
import { parseQueryCall, refuseExactlyOnce } from './query-args';
import { runStatement } from './statement';

type Row = pg.QueryResultRow;

/**
 * What the function given to `pool.transaction` gets: pg's `query`, in its promise forms, on the
 * transaction's connection. Do not call `pool.query` inside the function: that runs outside the
 * transaction, on another connection.
 */
export interface PgTransaction {
  query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: pg.QueryArrayConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<pg.QueryArrayResult<R>>;
  query<R extends Row = Row, I = unknown[]>(
    queryTextOrConfig: string | pg.QueryConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<pg.QueryResult<R>>;
}

/** What the function given to `pool.transaction` gets, over the runner's gate. */
export function pgTransactionHandle(gate: StatementGate<pg.PoolClient>): PgTransaction {
  return { query: (...args: unknown[]) => query(gate, args) } as PgTransaction;
}

async function query(gate: StatementGate<pg.PoolClient>, args: unknown[]): Promise<pg.QueryResult> {
  const [first] = args;
  if (typeof first === 'object' && first !== null && 'submit' in first) {
    // A cursor or stream drives the connection itself, outside what the runner can see or re-run.
    throw new TypeError('tx.query() takes no cursor or stream; read the rows with a plain query.');
  }
  const call = parseQueryCall(args[0], args[1], args[2]);
  refuseExactlyOnce(call, 'tx.query (the transaction is exactly once with its own idempotencyKey)');
  if (call.callback) throw new TypeError('tx.query() returns a promise; it takes no callback.');
  return gate.run(call.config.text, (client) => runStatement(client, call.config));
}
