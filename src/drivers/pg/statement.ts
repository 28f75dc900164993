import type pg from 'pg';
import { stateOf } from './tracked-client';

/** Thrown instead of handing a statement to a connection that is already dead. */
export class NotSentError extends Error {
  constructor() {
    super('The connection had already closed; the statement was not sent');
    this.name = 'NotSentError';
  }
}

/**
 * Runs one statement on `client`, recording what the retry rules need: whether it was handed to the
 * socket, and the notices that arrive while it runs. It takes pg's fastest form, as pg.Pool's own
 * query does: text and values (pg copies a config object property by property) and a callback
 * (without one pg makes a second promise to rewrite the error's stack).
 */
export function runStatement<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  config: pg.QueryConfig,
): Promise<pg.QueryResult<R>> {
  const state = stateOf(client);
  state.beginStatement(config.text);
  if (!state.alive) return Promise.reject(new NotSentError());
  return new Promise((resolve, reject) => {
    const done = (error: Error | undefined, result: pg.QueryResult<R>) =>
      error ? reject(error) : resolve(result);
    state.sent = true;
    if (isTextAndValues(config)) client.query<R>(config.text, config.values as unknown[], done);
    else client.query<R>(config, done);
  });
}

function isTextAndValues(config: pg.QueryConfig): boolean {
  for (const key in config) if (key !== 'text' && key !== 'values') return false;
  return true;
}
