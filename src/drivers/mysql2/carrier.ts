import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import mysql from 'mysql2';
import type { StatementCall } from './call-args';
import { isSqlAndValues, type StatementOutcome } from './statement';

const debug = createDebug('failover-pool:mysql2');

type CreateQuery = (
  options: mysql.QueryOptions | string,
  values: mysql.QueryOptions['values'],
  callback: undefined,
  config: object,
) => mysql.Query;

/**
 * What `query()` and `execute()` return: a real mysql2 Query object (from mysql2's public
 * `createQuery`), never run itself. The statement runs on whichever node is primary, maybe more than
 * once; its outcome is then delivered here, so `.on('result')`, `.on('end')` and `.stream()` work
 * as on mysql2's pool. Rows are delivered once the statement has certainly succeeded, not while they
 * arrive: stream a large result from a connection taken with `getConnection()`.
 */
export function carrierFor(call: StatementCall, connectionConfig: object): mysql.Query {
  const create = (mysql as unknown as { createQuery?: CreateQuery }).createQuery;
  if (create) {
    // The text form builds the Query without spreading an options object: this runs per statement.
    const { options } = call;
    if (isSqlAndValues(options)) return create(options.sql, options.values, undefined, connectionConfig);
    return create({ ...options }, undefined, undefined, connectionConfig);
  }
  return Object.assign(new EventEmitter(), { sql: call.options.sql }) as unknown as mysql.Query;
}

/**
 * Hands the outcome to the caller as mysql2 would: to the callback, or as `fields`/`result`
 * events, then `end`. Always on a later tick, outside any promise chain, so a throw in the
 * callback is not swallowed, and listeners added right after the call see everything.
 *
 * An error with no callback and no `error` listener is dropped (and logged under
 * `failover-pool:mysql2`) instead of crashing the process as an unheard EventEmitter error would:
 * a failover must never bring the app down.
 */
export function deliver(
  carrier: mysql.Query,
  call: StatementCall,
  error: unknown,
  outcome: StatementOutcome | undefined,
): void {
  process.nextTick(() => {
    if (error) {
      if (call.callback) call.callback(error as Error);
      else emitError(carrier, error as Error);
    } else {
      const [result, fields] = outcome as StatementOutcome;
      if (call.callback) call.callback(null, ...(outcome as StatementOutcome));
      else replayEvents(carrier, result, fields);
    }
    carrier.emit('end');
  });
}

export function emitError(emitter: EventEmitter, error: Error): void {
  if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
  else debug('error with nobody listening (no callback, no error listener): %s', error.message);
}

/**
 * Emits a callback's (result, fields) as mysql2 emits them without a callback, in its order: per
 * result set, `fields` (undefined for an OK packet), then `result` for each row (with the result
 * set's index) or once for the OK packet. Several result sets (multipleStatements) arrive as arrays
 * of result sets and of fields, one entry each.
 */
function replayEvents(carrier: EventEmitter, result: unknown, fields: unknown): void {
  const several = Array.isArray(fields) && fields.some((f) => f === undefined || Array.isArray(f));
  const sets = several ? (result as unknown[]) : [result];
  const fieldSets = several ? (fields as unknown[]) : [fields];
  sets.forEach((set, index) => {
    const setFields = fieldSets[index];
    carrier.emit('fields', setFields);
    if (setFields === undefined || !Array.isArray(set)) carrier.emit('result', set);
    else for (const row of set) carrier.emit('result', row, index);
  });
}
