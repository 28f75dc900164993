import type mysql from 'mysql2';
import type { PoolConnection as PromisePoolConnection } from 'mysql2/promise';
import type { FailoverEngine, Pinned } from '../../core/engine';
import type { NodeView } from '../../core/node';
import { PinnedErrors } from '../../core/pinned';
import type { Mysql2Adapter } from './adapter';
import { parseStatementCall, type StatementCall } from './call-args';
import { carrierFor, deliver, emitError } from './carrier';
import { closeSocket, isAlive, stateOf } from './connection-state';
import { promiseConnectionClass } from './promise-classes';
import { NotSentError, runStatement, type StatementOutcome } from './statement';

type Connection = mysql.PoolConnection;

/** mysql2's methods that run their SQL through `this.query`, so the rules below apply to them too. */
const THROUGH_QUERY = new Set<PropertyKey>(['beginTransaction', 'commit', 'rollback']);

/** Members through which an app changes the connection itself, which would not follow it to a new one. */
const MUTATORS = new Set<PropertyKey>([
  'on',
  'once',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'changeUser',
  'prepare',
  'unprepare',
  'pause',
  'resume',
  'reset',
]);

export interface PinContext {
  readonly engine: FailoverEngine<Connection>;
  readonly adapter: Mysql2Adapter;
  /** mysql2's ConnectionConfig, for the Query objects handed back. */
  readonly connectionConfig: object;
  readonly multipleStatements: boolean;
}

/**
 * The connection `getConnection()` hands out: a real mysql2 connection, pinned to the node that was
 * primary when it was taken. Its first statement (with a callback) gets the pool's re-run rules:
 * nothing of the session can be lost by moving to a fresh connection, and libraries such as Kysely
 * take a connection per query. After that nothing is re-run (the app may be inside a transaction),
 * but:
 * - a statement fails with NodeUnavailableError once its node is down, demoted or superseded,
 *   instead of running on a node that is no longer the primary;
 * - a failure that says the node is gone is reported to the monitor at once, and reaches a callback
 *   as a FailoverPoolError that says what became of the statement;
 * - on release it is destroyed, never pooled, if its node is no longer usable or it broke.
 * A statement without a callback (events, `.stream()`) runs on mysql2's own Query on the pinned
 * connection: its errors are reported to the monitor but reach the listeners unchanged.
 */
export function pinConnection(start: Pinned<Connection>, context: PinContext): Connection {
  const { engine, adapter } = context;
  /** The connection and node this stands for now; undefined once the connection is gone. */
  let current: Pinned<Connection> | undefined = start;
  /** Nothing ran on it yet and the app attached nothing to it: it may still move to a fresh connection. */
  let pristine = true;
  let released = false;

  const errorsFor = (node: NodeView) => new PinnedErrors(node, 'pool.getConnection()');

  const report = (pinned: Pinned<Connection>, error: unknown, reRunnable: boolean): unknown => {
    const kind = adapter.classify(error, pinned.connection);
    if (kind !== 'application') engine.reportFailure(pinned.node.name, error);
    return errorsFor(pinned.node).failure(error, kind, reRunnable);
  };

  /** Why nothing may be sent on `pinned` now, if so. */
  const refusal = (pinned: Pinned<Connection> | undefined): Error | undefined => {
    if (!pinned) return errorsFor(start.node).failure(new NotSentError(), 'not-sent', false) as Error;
    const reason = engine.pinnedStatus(pinned.node.name);
    if (reason !== null) return errorsFor(pinned.node).refusal(reason);
    // Its socket already closed: nothing can be sent, and the node may be gone.
    if (!isAlive(pinned.connection)) return report(pinned, new NotSentError(), false) as Error;
    return undefined;
  };

  /** The first statement: the pool's re-run rules, moving to a fresh connection if need be. */
  const runFirst = async (call: StatementCall): Promise<StatementOutcome> => {
    let from = current as Pinned<Connection>;
    current = undefined;
    if (engine.pinnedStatus(from.node.name) !== null || !isAlive(from.connection)) {
      engine.release(from.node, from.connection, true);
      from = await engine.acquire();
    }
    const outcome = await engine.runPinned({ reRunnable: call.reRunnable }, from, (connection) =>
      runStatement(connection, call, context.multipleStatements),
    );
    current = outcome.pinned;
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  };

  /** Any later statement, or one without a callback: on the pinned connection, never re-run. */
  const runPinned = (call: StatementCall): mysql.Query => {
    const refused = refusal(current);
    if (refused || !current) {
      const carrier = carrierFor(call, context.connectionConfig);
      deliver(carrier, call, Promise.reject(refused));
      return carrier;
    }
    const pinned = current;
    const state = stateOf(pinned.connection);
    state.beginStatement(call.options.sql, context.multipleStatements);
    state.sent = true;
    const run = pinned.connection[call.kind].bind(pinned.connection) as (
      options: mysql.QueryOptions,
      callback?: (error: Error | null, ...rest: unknown[]) => void,
    ) => mysql.Query;
    const { callback } = call;
    if (callback) {
      return run(call.options, (error, ...rest) => {
        if (error) callback(report(pinned, error, call.reRunnable) as Error);
        else callback(null, ...rest);
      });
    }
    const command = run(call.options);
    watchCommand(command, pinned.connection, (error) => void report(pinned, error, call.reRunnable));
    return command;
  };

  const statement =
    (kind: 'query' | 'execute') =>
    (...args: unknown[]): mysql.Query => {
      const call = parseStatementCall(kind, args);
      const first = pristine && call.callback !== undefined;
      pristine = false;
      if (!first) return runPinned(call);
      const carrier = carrierFor(call, context.connectionConfig);
      deliver(carrier, call, runFirst(call));
      return carrier;
    };

  function release(): void {
    if (released) return; // mysql2 ignores a second release too
    released = true;
    if (current) engine.release(current.node, current.connection, !isAlive(current.connection));
  }

  function destroy(): void {
    released = true;
    if (!current) return;
    current.connection.destroy();
    closeSocket(current.connection);
  }

  const overrides = new Map<PropertyKey, unknown>([
    ['query', statement('query')],
    ['execute', statement('execute')],
    ['release', release],
    ['destroy', destroy],
    // mysql2 turns end() on a pooled connection into release(), with a deprecation warning.
    [
      'end',
      (callback?: () => void) => {
        release();
        if (typeof callback === 'function') process.nextTick(callback);
      },
    ],
    [Symbol.dispose, release],
  ]);

  const pinned: Connection = new Proxy(start.connection, {
    get(_target, property) {
      if (overrides.has(property)) return overrides.get(property);
      if (property === 'promise') {
        return (promiseImpl?: PromiseConstructor): PromisePoolConnection =>
          new (promiseConnectionClass())(pinned, promiseImpl);
      }
      if (MUTATORS.has(property)) pristine = false;
      const target = current?.connection ?? start.connection;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return value.bind(THROUGH_QUERY.has(property) ? pinned : target);
    },
  });
  return pinned;
}

/**
 * A command without a callback (events, `.stream()`) is told nothing by mysql2 when its connection
 * dies: the error goes to the connection, and a stream over the command would wait forever. Until
 * the command ends, a connection error is passed on to it (as its own `error`, then `end`), and
 * every error of it is reported.
 */
function watchCommand(command: mysql.Query, connection: Connection, report: (error: Error) => void): void {
  let ended = false;
  const onConnectionError = (error: Error) => {
    if (ended) return;
    ended = true;
    emitError(command, error);
    command.emit('end');
  };
  connection.on('error', onConnectionError);
  command.on('error', report);
  command.once('end', () => {
    ended = true;
    connection.off('error', onConnectionError);
  });
}
