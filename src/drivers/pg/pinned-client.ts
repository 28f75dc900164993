import type pg from 'pg';
import type { FailoverEngine, Pinned } from '../../core/engine';
import { PinnedSession } from '../../core/pinned-session';
import { parseQueryCall, settleCallback } from './query-args';
import { sendStatement } from './statement';

/**
 * The client `pool.connect()` hands out: the real pg client, pinned to the node that was primary
 * when it was taken, under the rules of core/pinned-session.ts. Everything but `query` and
 * `release` (events, escapeLiteral, processID, submittables such as cursors) is the pg client's own.
 */
export function pinClient(
  engine: FailoverEngine<pg.PoolClient>,
  start: Pinned<pg.PoolClient>,
): pg.PoolClient {
  const session = new PinnedSession(engine, start, 'pool.connect()');

  function query(...args: unknown[]): unknown {
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
      result = session.run({ reRunnable: call.reRunnable }, (client, _node, done) =>
        sendStatement(client, call.config, done),
      );
    } catch (error) {
      result = Promise.reject(error);
    }
    if (!callback) return result;
    settleCallback(result, callback);
    return undefined;
  }

  function release(error?: Error | boolean): void {
    if (!session.release(error === true || error instanceof Error)) {
      throw new Error('Release called on client which has already been released to the pool.');
    }
  }

  return new Proxy(start.connection, {
    get(_target, property) {
      if (property === 'query') return query;
      if (property === 'release') return release;
      const target = session.connection;
      // Listeners or settings the app puts on this connection would not follow it to a new one.
      if (typeof property === 'string' && MUTATORS.has(property)) session.touch();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Client members through which an app changes the connection itself, not just runs statements on it. */
const MUTATORS = new Set([
  'on',
  'once',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'setTypeParser',
  'copyFrom',
  'copyTo',
  'pauseDrain',
  'resumeDrain',
]);
