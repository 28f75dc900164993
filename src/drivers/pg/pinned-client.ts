import type pg from 'pg';
import type { FailoverEngine, Pinned } from '../../core/engine';
import { PinnedSession } from '../../core/pinned-session';
import { setsUpSession } from '../../core/session-statement';
import { CarriedListeners } from '../carried-listeners';
import { trackingOf } from './client-class';
import { parseQueryCall, refuseExactlyOnce, settleCallback } from './query-args';
import { sendStatement } from './statement';

/**
 * What the app sees of one pg client, for the client's whole life: the same object every time the
 * pool hands that client out, and in every event about it, as with pg.Pool (apps and libraries key
 * maps and sets by client). While the app holds it, it stands for a PinnedSession (the rules of
 * core/pinned-session.ts); everything but `query` and `release` (events, escapeLiteral, processID,
 * submittables such as cursors) is the pg client's own.
 */
export interface ClientFacade {
  /** The object the app holds. */
  readonly proxy: pg.PoolClient;
  /** The checkout under way, while the app holds the client. */
  session: PinnedSession<pg.PoolClient> | undefined;
  /** The listeners the app added during this checkout, which follow its session. */
  readonly listeners: CarriedListeners;
}

/** The object the app gets for `client` (made on first use, then always the same). */
export function facadeOf(client: pg.PoolClient): pg.PoolClient {
  return facadeStateOf(client).proxy;
}

/** Starts a checkout of `start`'s client for the app: the client's facade, now pinned. */
export function pinClient(
  engine: FailoverEngine<pg.PoolClient>,
  start: Pinned<pg.PoolClient>,
): pg.PoolClient {
  const facade = facadeStateOf(start.connection);
  facade.listeners.clear();
  facade.session = new PinnedSession(engine, start, 'pool.connect()', (from, to) =>
    facade.listeners.move(from, to),
  );
  return facade.proxy;
}

function facadeStateOf(client: pg.PoolClient): ClientFacade {
  const tracked = trackingOf(client);
  tracked.facade ??= makeFacade(client);
  return tracked.facade;
}

function makeFacade(client: pg.PoolClient): ClientFacade {
  function query(...args: unknown[]): unknown {
    const session = facade.session;
    // Not checked out by the app (handed to it by an event, or kept after release): pg lets such a
    // client be used directly, and so does this.
    if (!session) return (client.query as (...a: unknown[]) => unknown)(...args);
    const first = args[0];
    if (
      typeof first === 'object' &&
      first !== null &&
      typeof (first as { submit?: unknown }).submit === 'function'
    ) {
      // Cursors and streams drive the connection themselves; they are refused on a lost node only.
      const connection = session.take();
      return (connection.query as (...a: unknown[]) => unknown)(...args);
    }
    const callback =
      typeof args[args.length - 1] === 'function'
        ? (args.pop() as (e?: Error, r?: unknown) => void)
        : undefined;
    let result: Promise<pg.QueryResult>;
    try {
      const call = parseQueryCall(args[0], args[1]);
      refuseExactlyOnce(call, 'a checked-out client');
      result = session.run(
        { reRunnable: call.reRunnable },
        (connection, _node, done) => sendStatement(connection, call.config, done),
        setsUpSession(call.config.text),
      );
    } catch (error) {
      result = Promise.reject(error);
    }
    if (!callback) return result;
    settleCallback(result, callback);
    return undefined;
  }

  function release(error?: Error | boolean): void {
    const session = facade.session;
    facade.session = undefined;
    if (!session?.release(error === true || error instanceof Error, error)) {
      throw new Error('Release called on client which has already been released to the pool.');
    }
  }

  const facade: ClientFacade = {
    session: undefined,
    listeners: new CarriedListeners(),
    proxy: new Proxy(client, {
      get(_target, property) {
        if (property === 'query') return query;
        if (property === 'release') return release;
        const session = facade.session;
        const target = session?.connection ?? client;
        if (session && typeof property === 'string' && CarriedListeners.handles(property)) {
          return facade.listeners.wrap(target, property, facade.proxy);
        }
        // Listeners or settings the app puts on this connection would not follow it to a new one.
        if (session && typeof property === 'string' && MUTATORS.has(property)) session.touch();
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
  };
  return facade;
}

/**
 * Client members through which an app changes the connection itself, not just runs statements on
 * it (listeners are not among them: they follow the session, see CarriedListeners).
 */
const MUTATORS = new Set(['setTypeParser', 'copyFrom', 'copyTo', 'pauseDrain', 'resumeDrain']);
