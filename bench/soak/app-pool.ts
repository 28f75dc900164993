import type { EventEmitter } from 'node:events';
import type { harness } from '../../src/testing';
import type { engineOf } from '../lib/args';
import { builtMysql2, builtPg } from '../lib/built-package';

/**
 * The pool an app runs, as the soak and the many-instances bench drive it: failover-pool from dist/
 * (as users run it), every node listed, the library's defaults, no promotion (the harness promotes).
 * Shared by the soak (one pool in this process) and every app instance of many-instances (one each).
 */
export interface AppPool {
  /** `sql` with `?` placeholders (numbered `$1, $2, ...` on PostgreSQL). */
  query(sql: string, values: readonly unknown[]): Promise<unknown>;
  /** The EventEmitter the pool's own events are on: the soak counts its listeners. */
  readonly emitter: Pick<EventEmitter, 'eventNames' | 'listenerCount'>;
  end(): Promise<void>;
}

/** 'postgres' or 'mysql' (the mysql2 side, on MariaDB here), as `--engine` names them via engineOf. */
export type Engine = ReturnType<typeof engineOf>;

/** `?` placeholders as PostgreSQL numbers them. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function openAppPool(
  engine: Engine,
  connection: harness.ClusterConnectionOptions,
): Promise<AppPool> {
  const { hosts, user, password, database } = connection;
  if (engine === 'postgres') {
    const { createPgPool } = await builtPg();
    const pool = createPgPool({ hosts, user, password, database });
    return {
      query: (sql, values) => pool.query(numbered(sql), [...values]),
      emitter: pool,
      end: () => pool.end(),
    };
  }
  const { createMysqlPool } = await builtMysql2();
  // The callback pool carries the events; its promise() face runs the statements.
  const pool = createMysqlPool({ hosts, user, password, database });
  const promised = pool.promise();
  return {
    query: (sql, values) => promised.query(sql, [...values]),
    emitter: pool,
    end: () => promised.end(),
  };
}
