import type mysql from 'mysql2';
import { NotSentError } from '../../core/node-pool';
import { type Done, promiseOf } from '../../core/work';
import type { StatementCall } from './call-args';
import { isAlive, stateOf } from './connection-state';

/** The callback's arguments after the error, as mysql2 gave them: (result) or (result, fields). */
export type StatementOutcome = readonly unknown[];

/**
 * Runs one statement on `connection`, recording what the retry rules need: whether it was handed
 * to the connection. A connection that is already dead gets nothing (NotSentError).
 *
 * Always with a callback, even for a caller that wants events: mysql2 tells a command without one
 * nothing when its connection dies (the error goes to the connection), so it would wait forever.
 */
export function sendStatement(
  connection: mysql.PoolConnection,
  call: StatementCall,
  multipleStatements: boolean,
  done: Done<StatementOutcome>,
): void {
  const state = stateOf(connection);
  state.beginStatement(call.options.sql, multipleStatements);
  if (!isAlive(connection)) {
    done(new NotSentError());
    return;
  }
  state.sent = true;
  state.pending = true;
  const callback = (error: Error | null, ...args: unknown[]) => {
    state.pending = false;
    if (error) done(error);
    else done(undefined, args);
  };
  const { options } = call;
  try {
    // mysql2's fastest form, the one its own pool.query takes: (sql, values, callback) builds the
    // command without copying an options object (the object form spreads it into a new one).
    if (isSqlAndValues(options)) {
      if (call.kind === 'query') connection.query(options.sql, options.values as mysql.QueryValues, callback);
      else connection.execute(options.sql, options.values as mysql.ExecuteValues, callback);
      return;
    }
    const run = connection[call.kind].bind(connection) as (
      options: mysql.QueryOptions,
      callback: (error: Error | null, ...args: unknown[]) => void,
    ) => mysql.Query;
    run(options, callback);
  } catch (error) {
    // mysql2 throws at once for values it cannot bind; its pool calls back with that error.
    state.pending = false;
    done(error);
  }
}

/** `sendStatement`, for the library's own statements. */
export function runStatement(
  connection: mysql.PoolConnection,
  call: StatementCall,
  multipleStatements: boolean,
): Promise<StatementOutcome> {
  return promiseOf((done) => sendStatement(connection, call, multipleStatements, done));
}

/** Options that hold nothing but the text and its values (what a `query(sql, values)` call makes). */
export function isSqlAndValues(options: mysql.QueryOptions): boolean {
  for (const key in options) if (key !== 'sql' && key !== 'values') return false;
  return true;
}
