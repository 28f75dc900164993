import type pg from 'pg';
import type { StatementGate, TransactionDriver } from '../../core/transaction-driver';
import { postgresTransactions } from '../../dialects/postgres-transactions';
import type { PgAdapter } from './adapter';
import { parseQueryCall } from './query-args';
import { runStatement } from './statement';
import { stateOf } from './tracked-client';

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

/** Ties the transaction runner to pg: statements through runStatement, pg's error meanings. */
export function pgTransactionDriver(adapter: PgAdapter): TransactionDriver<pg.PoolClient, PgTransaction> {
  return {
    dialect: postgresTransactions,
    async execute(client, text, values) {
      const result = await runStatement(client, { text, values: [...values] });
      return { rows: result.rows, command: result.command, affectedRows: result.rowCount ?? undefined };
    },
    classify: (error, client) => adapter.classify(error, client),
    isAlive: (client) => stateOf(client).alive,
    handle: (gate) => ({ query: (...args: unknown[]) => query(gate, args) }) as PgTransaction,
  };
}

async function query(gate: StatementGate<pg.PoolClient>, args: unknown[]): Promise<pg.QueryResult> {
  const [first] = args;
  if (typeof first === 'object' && first !== null && 'submit' in first) {
    // A cursor or stream drives the connection itself, outside what the runner can see or re-run.
    throw new TypeError('tx.query() takes no cursor or stream; read the rows with a plain query.');
  }
  const call = parseQueryCall(args);
  if (call.callback) throw new TypeError('tx.query() returns a promise; it takes no callback.');
  return gate.run(call.config.text, (client) => runStatement(client, call.config));
}
