import type mysql from 'mysql2';
import { NotSentError } from '../../core/node-pool';
import type { StatementCall } from './call-args';
import { isAlive, stateOf } from './connection-state';

export interface StatementOutcome {
  /** The callback's arguments after the error, as mysql2 gave them: (result) or (result, fields). */
  readonly args: readonly unknown[];
}

/**
 * Runs one statement on `connection`, recording what the retry rules need: whether it was handed
 * to the connection. A connection that is already dead gets nothing (NotSentError).
 *
 * Always with a callback, even for a caller that wants events: mysql2 tells a command without one
 * nothing when its connection dies (the error goes to the connection), so it would wait forever.
 */
export function runStatement(
  connection: mysql.PoolConnection,
  call: StatementCall,
  multipleStatements: boolean,
): Promise<StatementOutcome> {
  const state = stateOf(connection);
  state.beginStatement(call.options.sql, multipleStatements);
  if (!isAlive(connection)) return Promise.reject(new NotSentError());
  return new Promise<StatementOutcome>((resolve, reject) => {
    state.sent = true;
    const done = (error: Error | null, ...args: unknown[]) => (error ? reject(error) : resolve({ args }));
    const { sql, values } = call.options;
    // mysql2's fastest form, the one its own pool.query takes: (sql, values, callback) builds the
    // command without copying an options object (the object form spreads it into a new one).
    if (isSqlAndValues(call.options)) {
      if (call.kind === 'query') connection.query(sql, values as mysql.QueryValues, done);
      else connection.execute(sql, values as mysql.ExecuteValues, done);
      return;
    }
    const run = connection[call.kind].bind(connection) as (
      options: mysql.QueryOptions,
      callback: (error: Error | null, ...args: unknown[]) => void,
    ) => mysql.Query;
    run(call.options, done);
  });
}

/** Options that hold nothing but the text and its values (what a `query(sql, values)` call makes). */
export function isSqlAndValues(options: mysql.QueryOptions): boolean {
  for (const key in options) if (key !== 'sql' && key !== 'values') return false;
  return true;
}
