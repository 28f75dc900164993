import type mysql from 'mysql2';
import type { PoolConnection as PromisePoolConnection } from 'mysql2/promise';
import type { FailoverEngine, Pinned } from '../../core/engine';
import { PinnedSession } from '../../core/pinned-session';
import { parseStatementCall, type StatementCall } from './call-args';
import { carrierFor, deliver, emitError } from './carrier';
import { closeSocket } from './connection-state';
import { promiseConnectionClass } from './promise-classes';
import { type StatementOutcome, sendStatement } from './statement';

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
  /** mysql2's ConnectionConfig, for the Query objects handed back. */
  readonly connectionConfig: object;
  readonly multipleStatements: boolean;
}

/**
 * The connection `getConnection()` hands out: a real mysql2 connection, pinned to the node that was
 * primary when it was taken, under the rules of core/pinned-session.ts. A statement with a callback
 * runs through the session; one without (events, `.stream()`) runs on mysql2's own Query on the
 * pinned connection, streaming as mysql2 does: never re-run, its errors reported to the monitor but
 * reaching the listeners unchanged. Everything else is the mysql2 connection's own.
 */
export function pinConnection(start: Pinned<Connection>, context: PinContext): Connection {
  const session = new PinnedSession(context.engine, start, 'pool.getConnection()');

  /**
   * With a callback, or while the first statement runs (it may move the session; later statements
   * wait for it): through the session, delivered when done.
   */
  const viaSession = (call: StatementCall): mysql.Query => {
    const carrier = carrierFor(call, context.connectionConfig);
    session
      .run<StatementOutcome>({ reRunnable: call.reRunnable }, (connection, _node, done) =>
        sendStatement(connection, call, context.multipleStatements, done),
      )
      .then(
        (outcome) => deliver(carrier, call, undefined, outcome),
        (error: unknown) => deliver(carrier, call, error, undefined),
      );
    return carrier;
  };

  /** Without a callback: mysql2's own Query on the pinned connection, streaming as mysql2 does. */
  const streamed = (call: StatementCall): mysql.Query => {
    let connection: Connection;
    try {
      connection = session.take();
    } catch (refusal) {
      const carrier = carrierFor(call, context.connectionConfig);
      deliver(carrier, call, refusal, undefined);
      return carrier;
    }
    // Its errors reach the listeners unchanged: whether it had left decides nothing here, and the
    // monitor hears of any failure that says the node may be gone.
    const run = connection[call.kind].bind(connection) as (options: mysql.QueryOptions) => mysql.Query;
    const command = run(call.options);
    watchCommand(command, connection, (error) => void session.failure(undefined, error, call.reRunnable));
    return command;
  };

  const statement =
    (kind: 'query' | 'execute') =>
    (...args: unknown[]): mysql.Query => {
      const call = parseStatementCall(kind, args);
      return call.callback !== undefined || session.firstRunning ? viaSession(call) : streamed(call);
    };

  function release(): void {
    session.release(false); // mysql2 ignores a second release too
  }

  function destroy(): void {
    const connection = session.connection;
    session.release(true);
    connection.destroy();
    closeSocket(connection);
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
      if (MUTATORS.has(property)) session.touch();
      const target = session.connection;
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
