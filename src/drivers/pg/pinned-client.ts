import type pg from 'pg';
import type { FailoverEngine, Pinned } from '../../core/engine';
import type { NodeUnavailableError } from '../../core/errors';
import type { NodeView } from '../../core/node';
import { PinnedErrors } from '../../core/pinned';
import type { PgAdapter } from './adapter';
import { parseQueryCall, type QueryCall, settleCallback } from './query-args';
import { runStatement } from './statement';
import { stateOf } from './tracked-client';

/**
 * The client `pool.connect()` hands out: the real pg client, pinned to the node that was primary
 * when it was taken. Its first statement gets the pool's re-run rules (nothing of the session can be
 * lost by moving to a fresh connection: libraries such as Kysely take a client per query). After
 * that nothing is re-run (the app may be inside a transaction), but:
 * - a query on it fails with NodeUnavailableError once its node is down, demoted or superseded,
 *   instead of running on a node that is no longer the primary;
 * - a failure that says the node is gone is reported to the monitor at once;
 * - on release it is destroyed, never pooled, if its node is no longer usable or it broke.
 * Everything else (events, escapeLiteral, processID, submittables such as cursors) is the pg
 * client's own.
 */
export function pinClient(
  client: pg.PoolClient,
  node: NodeView,
  engine: FailoverEngine<pg.PoolClient>,
  adapter: PgAdapter,
): pg.PoolClient {
  /** The connection and node the client stands for now; undefined once the connection is gone. */
  let current: Pinned<pg.PoolClient> | undefined = { connection: client, node };
  /** Nothing ran on it yet and the app attached nothing to it: it may still move to a fresh connection. */
  let pristine = true;
  let released = false;

  const errorsFor = (pinned: NodeView) => new PinnedErrors(pinned, 'pool.connect()');

  const unavailable = (pinned: Pinned<pg.PoolClient> | undefined): NodeUnavailableError | undefined => {
    if (!pinned) return errorsFor(node).refusal('connection-lost');
    const reason = engine.pinnedStatus(pinned.node.name);
    return reason === null ? undefined : errorsFor(pinned.node).refusal(reason);
  };

  /** The first statement: the pool's re-run rules apply, moving to a fresh connection if need be. */
  const runFirst = async (call: QueryCall): Promise<pg.QueryResult> => {
    pristine = false;
    let start = current as Pinned<pg.PoolClient>;
    if (engine.pinnedStatus(start.node.name) !== null) {
      current = undefined;
      engine.release(start.node, start.connection, true);
      start = await engine.acquire();
      current = start;
    }
    current = undefined;
    const outcome = await engine.runPinned({ reRunnable: call.reRunnable }, start, (connection) =>
      runStatement(connection, call.config),
    );
    current = outcome.pinned;
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  };

  const runLater = async (call: QueryCall): Promise<pg.QueryResult> => {
    const refusal = unavailable(current);
    if (refusal || !current) throw refusal;
    const pinned = current;
    try {
      return await runStatement(pinned.connection, call.config);
    } catch (error) {
      const kind = adapter.classify(error, pinned.connection);
      if (kind !== 'application') engine.reportFailure(pinned.node.name, error);
      throw errorsFor(pinned.node).failure(error, kind, call.reRunnable);
    }
  };

  const run = async (args: unknown[]): Promise<pg.QueryResult> => {
    const call = parseQueryCall(args);
    return pristine ? runFirst(call) : runLater(call);
  };

  function query(...args: unknown[]): unknown {
    const first = args[0];
    if (
      typeof first === 'object' &&
      first !== null &&
      typeof (first as { submit?: unknown }).submit === 'function'
    ) {
      // Cursors and streams drive the connection themselves; refuse them on a lost node only.
      pristine = false;
      const refusal = unavailable(current);
      if (refusal || !current) throw refusal;
      return (current.connection.query as (...a: unknown[]) => unknown)(...args);
    }
    const callback =
      typeof args[args.length - 1] === 'function'
        ? (args.pop() as (e?: Error, r?: unknown) => void)
        : undefined;
    const result = run(args);
    if (!callback) return result;
    settleCallback(result, callback);
    return undefined;
  }

  function release(error?: Error | boolean): void {
    if (released) {
      throw new Error('Release called on client which has already been released to the pool.');
    }
    released = true;
    if (!current) return;
    const broken = error === true || error instanceof Error || !stateOf(current.connection).alive;
    engine.release(current.node, current.connection, broken);
  }

  return new Proxy(client, {
    get(_target, property) {
      if (property === 'query') return query;
      if (property === 'release') return release;
      const target = current?.connection ?? client;
      // Listeners or settings the app puts on this connection would not follow it to a new one.
      if (typeof property === 'string' && MUTATORS.has(property)) pristine = false;
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
