import { DEFAULT_IDEMPOTENCY_TABLE } from '../../src/core/transaction-options';
import { ONCE_KEY_PREFIX } from '../../src/core/transaction-runner';
import type { TestCluster } from '../../src/testing';
import type { Runner } from '../overhead/subjects';
import type { OverheadEngine } from '../overhead/workloads';

/** Sends one statement through the pool, as a plain write or with `exactlyOnce: true`. */
export type Send = (sql: string, values: unknown[], exactlyOnce: boolean) => Promise<unknown>;

export interface RowCounts {
  /** Exactly-once keys in the idempotency table. */
  keys: number;
  /** Rows of the table the inserts go to. */
  events: number;
}

/**
 * One failover-pool pool on one cluster, driven two ways: both sides share its connections, so the
 * only difference between them is the flag.
 */
export interface OnceSubject {
  readonly engine: OverheadEngine;
  /** The server and its replication, for people. */
  readonly server: string;
  readonly plain: Runner;
  readonly once: Runner;
  /** Writes acknowledged so far by each side, warm-ups included. */
  written(): { plain: number; once: number };
  /** Counted on the primary: one key per acknowledged exactlyOnce write is what the feature promises. */
  rows(): Promise<RowCounts>;
}

const KEYS_SQL = `SELECT COUNT(*) AS n FROM ${DEFAULT_IDEMPOTENCY_TABLE} WHERE idempotency_key LIKE '${ONCE_KEY_PREFIX}%'`;
const EVENTS_SQL = 'SELECT COUNT(*) AS n FROM events';

export function onceSubject(
  engine: OverheadEngine,
  server: string,
  cluster: TestCluster,
  send: Send,
): OnceSubject {
  const written = { plain: 0, once: 0 };
  const side = (name: keyof typeof written): Runner => ({
    query: async (sql, params) => {
      await send(sql, params, name === 'once');
      written[name]++;
    },
    // The pool is shared by both sides; the engine kit ends it.
    close: () => Promise.resolve(),
  });
  // COUNT(*) is a string on pg (bigint) and a number or a string on mysql2, as the server sends it.
  const count = async (sql: string): Promise<number> => {
    const [row] = await cluster.query<{ n: unknown }>(cluster.primary, sql, [], { as: 'app' });
    return Number(row?.n);
  };
  return {
    engine,
    server,
    plain: side('plain'),
    once: side('once'),
    written: () => ({ ...written }),
    rows: async () => ({ keys: await count(KEYS_SQL), events: await count(EVENTS_SQL) }),
  };
}
