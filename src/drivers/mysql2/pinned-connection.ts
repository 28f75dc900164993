import type mysql from 'mysql2';
import type { PoolConnection as PromisePoolConnection } from 'mysql2/promise';
import type { FailoverEngine, Pinned } from '../../core/engine';
import { PinnedSession } from '../../core/pinned-session';
import { setsUpSession } from '../../core/session-statement';
import { CarriedListeners } from '../carried-listeners';
import { parseStatementCall, refuseExactlyOnce, type StatementCall } from './call-args';
import { carrierFor, deliver, emitError } from './carrier';
import { closeSocket } from './connection-state';
import { promiseConnectionClass } from './promise-classes';
import { type StatementOutcome, sendStatement } from './statement';

type Connection = mysql.PoolConnection;

/** mysql2's methods that run their SQL through `this.query`, so the rules below apply to them too. */
const THROUGH_QUERY = new Set<PropertyKey>(['beginTransaction', 'commit', 'rollback']);

/**
 * Members through which an app changes the connection itself, which would not follow it to a new one
 * (listeners do follow it: see CarriedListeners).
 */
const MUTATORS = new Set<PropertyKey>(['changeUser', 'prepare', 'unprepare', 'pause', 'resume', 'reset']);

export interface PinContext {
  readonly engine: FailoverEngine<Connection>;
  /** mysql2's ConnectionConfig, for the Query objects handed back. */
  readonly connectionConfig: object;
  readonly multipleStatements: boolean;
  /** mysql2's `gracefulEnd`: `end()` on a pooled connection closes it instead of releasing it. */
  readonly gracefulEnd: boolean;
}

/** What the app sees of one mysql2 connection, and the checkout under way while it holds it. */
interface ConnectionFacade {
  readonly proxy: Connection;
  session: PinnedSession<Connection> | undefined;
  /** The listeners the app added during this checkout, which follow its session. */
  readonly listeners: CarriedListeners;
}

const FACADE = Symbol('failover-pool facade');
type WithFacade = Connection & { [FACADE]?: ConnectionFacade };

/**
 * The object the app gets for `connection`: the same one every time the pool hands that
 * connection out and in every event about it, as with mysql2's pool (apps key maps by connection).
 */
export function facadeOf(connection: Connection, context: PinContext): Connection {
  return facadeStateOf(connection, context).proxy;
}

/**
 * Starts a checkout of `start`'s connection for the app (`getConnection()`): the connection's facade,
 * pinned to the node that was primary when it was taken, under the rules of core/pinned-session.ts.
 * A statement with a callback runs through the session; one without (events, `.stream()`) runs on
 * mysql2's own Query on the pinned connection, streaming as mysql2 does: never re-run, its errors
 * reported to the monitor but reaching the listeners unchanged. Everything else is the mysql2
 * connection's own.
 */
export function pinConnection(start: Pinned<Connection>, context: PinContext): Connection {
  const facade = facadeStateOf(start.connection, context);
  facade.listeners.clear();
  facade.session = new PinnedSession(context.engine, start, 'pool.getConnection()', (from, to) =>
    facade.listeners.move(from, to),
  );
  return facade.proxy;
}

function facadeStateOf(connection: Connection, context: PinContext): ConnectionFacade {
  const tracked = connection as WithFacade;
  let facade = tracked[FACADE];
  if (!facade) {
    facade = makeFacade(connection, context);
    Object.defineProperty(tracked, FACADE, { value: facade });
  }
  return facade;
}

function makeFacade(connection: Connection, context: PinContext): ConnectionFacade {
  /**
   * With a callback, or while statements are under way (a new one waits for them): through the
   * session, delivered when done.
   */
  const viaSession = (session: PinnedSession<Connection>, call: StatementCall): mysql.Query => {
    const carrier = carrierFor(call, context.connectionConfig);
    session
      .run<StatementOutcome>(
        { reRunnable: call.reRunnable },
        (pinned, _node, done) => sendStatement(pinned, call, context.multipleStatements, done),
        setsUpSession(call.options.sql),
      )
      .then(
        (outcome) => deliver(carrier, call, undefined, outcome),
        (error: unknown) => deliver(carrier, call, error, undefined),
      );
    return carrier;
  };

  /** Without a callback: mysql2's own Query on the pinned connection, streaming as mysql2 does. */
  const streamed = (session: PinnedSession<Connection> | undefined, call: StatementCall): mysql.Query => {
    let target: Connection;
    try {
      // Not checked out by the app (kept after release, or from an event): mysql2 lets such a
      // connection be used directly, and so does this.
      target = session ? session.take() : connection;
    } catch (refusal) {
      const carrier = carrierFor(call, context.connectionConfig);
      deliver(carrier, call, refusal, undefined);
      return carrier;
    }
    // Its errors reach the listeners unchanged: whether it had left decides nothing here, and the
    // monitor hears of any failure that says the node may be gone.
    const run = target[call.kind].bind(target) as (
      options: mysql.QueryOptions,
      callback?: (error: Error | null, ...rest: unknown[]) => void,
    ) => mysql.Query;
    if (!session) return run(call.options, call.callback);
    const command = run(call.options);
    watchCommand(command, target, (error) => session.report(error));
    return command;
  };

  const statement =
    (kind: 'query' | 'execute') =>
    (...args: unknown[]): mysql.Query => {
      const call = parseStatementCall(kind, args);
      refuseExactlyOnce(call, 'a connection taken with getConnection()');
      const session = facade.session;
      if (session && (call.callback !== undefined || session.busy)) return viaSession(session, call);
      return streamed(session, call);
    };

  /** Ends the checkout: the connection is given back (or closed), and this object is idle again. */
  const takeSession = (): PinnedSession<Connection> | undefined => {
    const session = facade.session;
    facade.session = undefined;
    return session;
  };

  function release(): void {
    takeSession()?.release(false); // mysql2 ignores a second release too
  }

  function destroy(): void {
    const session = takeSession();
    const target = session?.connection ?? connection;
    session?.release(true);
    target.destroy();
    closeSocket(target);
  }

  function end(callback?: () => void): void {
    const session = takeSession();
    const target = session?.connection ?? connection;
    if (context.gracefulEnd) {
      // mysql2 closes the connection politely and takes it out of its pool.
      session?.abandon();
      target.end(callback);
      return;
    }
    // mysql2 turns end() on a pooled connection into release(), with a deprecation warning.
    const warning = new Error(
      'Calling conn.end() to release a pooled connection is deprecated. In next version calling conn.end() ' +
        'will be restored to default conn.end() behavior. Use conn.release() instead.',
    );
    target.emit('warn', warning);
    console.warn(warning.message);
    session?.release(false);
    if (typeof callback === 'function') process.nextTick(callback);
  }

  const overrides = new Map<PropertyKey, unknown>([
    ['query', statement('query')],
    ['execute', statement('execute')],
    ['release', release],
    ['destroy', destroy],
    ['end', end],
    [Symbol.dispose, release],
  ]);

  const facade: ConnectionFacade = {
    session: undefined,
    listeners: new CarriedListeners(),
    proxy: new Proxy(connection, {
      get(_target, property) {
        if (overrides.has(property)) return overrides.get(property);
        if (property === 'promise') {
          return (promiseImpl?: PromiseConstructor): PromisePoolConnection =>
            new (promiseConnectionClass())(facade.proxy, promiseImpl);
        }
        const session = facade.session;
        if (session && MUTATORS.has(property)) session.touch();
        const target = session?.connection ?? connection;
        if (session && typeof property === 'string' && CarriedListeners.handles(property)) {
          return facade.listeners.wrap(target, property, facade.proxy);
        }
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return value.bind(THROUGH_QUERY.has(property) ? facade.proxy : target);
      },
    }),
  };
  return facade;
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
