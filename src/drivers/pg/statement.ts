import type pg from 'pg';
import { NotSentError } from '../../core/node-pool';
import { type Done, promiseOf } from '../../core/work';
import { trackingOf } from './client-class';

/**
 * Runs one statement on `client`, recording what the retry rules need: whether it was handed to the
 * socket, and (through the client's notice listener) the notices that arrive while it runs. It
 * takes pg's fastest form, as pg.Pool's own query does: text and values (pg copies a config object
 * property by property) and a callback (without one pg makes a second promise to rewrite the
 * error's stack).
 */
export function sendStatement<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  config: pg.QueryConfig,
  done: Done<pg.QueryResult<R>>,
): void {
  const state = trackingOf(client).failoverState;
  // Without values, pg sends the text as a simple query, which may hold several statements.
  state.beginStatement(config.text, !config.values?.length);
  if (!state.alive) {
    done(new NotSentError());
    return;
  }
  state.sent = true;
  state.pending = true;
  const answered: Done<pg.QueryResult<R>> = (error, result) => {
    state.pending = false;
    done(error, result);
  };
  try {
    if (isTextAndValues(config)) client.query<R>(config.text, config.values as unknown[], answered);
    else client.query<R>(config, answered);
  } catch (error) {
    // pg throws at once for a call it cannot take; the pool hands that error on.
    answered(error);
  }
}

/** `sendStatement`, for the library's own statements. */
export function runStatement<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  config: pg.QueryConfig,
): Promise<pg.QueryResult<R>> {
  return promiseOf((done) => sendStatement<R>(client, config, done));
}

function isTextAndValues(config: pg.QueryConfig): boolean {
  for (const key in config) if (key !== 'text' && key !== 'values') return false;
  return true;
}
