import type { EventEmitter } from 'node:events';
import type mysql from 'mysql2';
import type mysqlPromise from 'mysql2/promise';

/**
 * One face for both flavours of mysql2 pool, so that a behaviour (limits, events, end) is written
 * once and checked through the callback API and the promise API alike. Each method calls the
 * flavour's own API: the callback pool's callbacks, the promise pool's promises.
 */
export interface MysqlHandle {
  /** The pool itself (its events, its config). */
  readonly pool: EventEmitter;
  readonly flavour: 'callback' | 'promise';
  query<T = mysql.RowDataPacket[]>(sql: string | mysql.QueryOptions, values?: unknown): Promise<T>;
  execute<T = mysql.RowDataPacket[]>(sql: string, values?: unknown): Promise<T>;
  getConnection(): Promise<MysqlConnectionHandle>;
  end(): Promise<void>;
}

export interface MysqlConnectionHandle {
  /**
   * The PoolConnection underneath: what getConnection gave the callback API, and what the
   * promise API's wrapper (a new one per checkout) holds; the object the pool's events carry.
   */
  readonly identity: object;
  readonly threadId: number;
  query<T = mysql.RowDataPacket[]>(sql: string, values?: unknown): Promise<T>;
  release(): void;
  destroy(): void;
}

type Callback<T> = (error: Error | null, result: T) => void;

/** The statement and its values as the caller wrote them: no values argument when there are none. */
const statement = (sql: string | mysql.QueryOptions, values: unknown): unknown[] =>
  values === undefined ? [sql] : [sql, values];

function called<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, result) => (error ? reject(error) : resolve(result))),
  );
}

export function callbackHandle(pool: mysql.Pool): MysqlHandle {
  type Run = (...args: unknown[]) => void;
  const run = (method: 'query' | 'execute', sql: string | mysql.QueryOptions, values: unknown) =>
    called<unknown>((cb) => (pool[method] as unknown as Run).call(pool, ...statement(sql, values), cb));
  return {
    pool,
    flavour: 'callback',
    query: <T>(sql: string | mysql.QueryOptions, values?: unknown) => run('query', sql, values) as Promise<T>,
    execute: <T>(sql: string, values?: unknown) => run('execute', sql, values) as Promise<T>,
    getConnection: async () => {
      const connection = await called<mysql.PoolConnection>((cb) => pool.getConnection(cb));
      return {
        identity: connection,
        threadId: connection.threadId,
        query: <T>(sql: string, values?: unknown) =>
          called<unknown>((cb) =>
            (connection.query as unknown as Run).call(connection, ...statement(sql, values), cb),
          ) as Promise<T>,
        release: () => connection.release(),
        destroy: () => connection.destroy(),
      };
    },
    end: () => called((cb) => pool.end((error) => cb(error, undefined))).then(() => undefined),
  };
}

export function promiseHandle(pool: mysqlPromise.Pool): MysqlHandle {
  type Run = (...args: unknown[]) => Promise<[unknown, unknown]>;
  return {
    pool,
    flavour: 'promise',
    query: async <T>(sql: string | mysql.QueryOptions, values?: unknown) =>
      (await (pool.query as unknown as Run).call(pool, ...statement(sql, values)))[0] as T,
    execute: async <T>(sql: string, values?: unknown) =>
      (await (pool.execute as unknown as Run).call(pool, ...statement(sql, values)))[0] as T,
    getConnection: async () => {
      const connection = await pool.getConnection();
      return {
        identity: connection.connection,
        threadId: connection.threadId,
        query: async <T>(sql: string, values?: unknown) =>
          (await (connection.query as unknown as Run).call(connection, ...statement(sql, values)))[0] as T,
        release: () => connection.release(),
        destroy: () => connection.destroy(),
      };
    },
    end: () => pool.end(),
  };
}
