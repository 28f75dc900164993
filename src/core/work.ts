import type { NodeView } from './node';

/**
 * How a statement ends: `error` is set (truthy) when it failed; otherwise `result` holds what it
 * returned. Callback style, as the drivers answer, so that the path of every statement makes no
 * promise of its own: the drivers' pools do not either, and each promise on that path costs
 * throughput on a machine the app shares with its database.
 */
export type Done<T> = (error: unknown, result?: T) => void;

/** One statement, run on `connection` (to `node`), calling `done` exactly once. */
export type Work<Connection, T> = (connection: Connection, node: NodeView, done: Done<T>) => void;

/** A statement written with promises, as callback-style Work. */
export function workOf<Connection, T>(
  run: (connection: Connection, node: NodeView) => Promise<T>,
): Work<Connection, T> {
  return (connection, node, done) => {
    run(connection, node).then(
      (result) => done(undefined, result),
      (error: unknown) => done(error ?? new Error('The statement failed without an error.')),
    );
  };
}

/** A promise for what `start` hands its callback. */
export function promiseOf<T>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, result) => (error ? reject(error) : resolve(result as T)));
  });
}
