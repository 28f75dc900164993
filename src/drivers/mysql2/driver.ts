import mysql from 'mysql2';
import type { ConnectionState } from '../../core/connection-state';
import type { Row } from '../../core/dialect';
import type { Driver, SessionAccount, StatementResult } from '../../core/driver';
import { PoolEndedError } from '../../core/errors';
import type { NodeAddress } from '../../core/node';
import type { ResolvedPoolConfig } from '../../core/pool-core';
import type { ProbeSession } from '../../core/probe-session';
import { mysqlDialect } from '../../dialects/mysql/dialect';
import { closeSocket, isAlive, stateOf } from './connection-state';
import { MysqlNodePool, type MysqlPoolEventSink } from './node-pool';
import { hideSecrets, withAccount } from './options';
import { observedStreamFactory, type StreamFactory, unref } from './sockets';
import { runStatement } from './statement';

/** mysql2's own words for a pool that was ended. */
export const CLOSED = 'Pool is closed.';

/** mysql2's pool settings (as opposed to connection options), which `pool.config` holds. */
const POOL_SETTING_KEYS = [
  'connectionLimit',
  'maxIdle',
  'idleTimeout',
  'queueLimit',
  'waitForConnections',
] as const;
type PoolSettings = Partial<Pick<mysql.PoolOptions, (typeof POOL_SETTING_KEYS)[number]>>;

/** Ties mysql2 to the engine: a mysql2 pool per node, the monitor's connections, what mysql2 knows. */
export class Mysql2Driver implements Driver<mysql.PoolConnection> {
  readonly dialect = mysqlDialect;

  constructor(
    private readonly config: ResolvedPoolConfig<mysql.PoolOptions>,
    private readonly events: MysqlPoolEventSink,
    /** The pool settings as `pool.config` has them now: an app may change them after creation. */
    private readonly liveSettings: () => PoolSettings,
  ) {}

  /** A node's pool, made on first use with the pool settings of that moment, as mysql2 reads them. */
  createNodePool(node: NodeAddress): MysqlNodePool {
    const settings = this.liveSettings();
    const options = { ...this.config.perNode(node) };
    for (const key of POOL_SETTING_KEYS)
      if (settings[key] !== undefined) Object.assign(options, { [key]: settings[key] });
    return new MysqlNodePool(node, hideSecrets(options, this.config.perNode(node)), this.events);
  }

  openProbeSession(node: NodeAddress, account?: SessionAccount): ProbeSession {
    const options = account ? withAccount(this.config.perNode(node), account) : this.config.perNode(node);
    const connection = mysql.createConnection(
      hideSecrets(
        {
          ...options,
          // The probe's statements are the library's own constants (never the app's input): two go
          // in one query, so that a probe is one round trip (dialects/mysql/probe.ts).
          multipleStatements: true,
          // mysql2's debug is for the app's statements, not for a probe every second.
          debug: false,
          // A probe connection must not keep the process alive on its own (an idle pool's does not).
          stream: observedStreamFactory(unref, options.stream as StreamFactory | undefined),
        },
        options,
      ),
    );
    const ready = new Promise<void>((resolve, reject) => {
      connection.once('connect', () => resolve());
      connection.once('error', reject);
    });
    let onFailure: ((error: Error) => void) | undefined;
    // For the connection's whole life: a probe connection whose server dies must not crash the process.
    connection.on('error', (error) => onFailure?.(error));
    return {
      ready,
      run: (sql, values) =>
        new Promise<readonly Row[]>((resolve, reject) => {
          connection.query(sql, values as unknown[] | undefined, (error, rows) =>
            error ? reject(error) : resolve(rows as Row[]),
          );
        }),
      onFailure: (listener) => {
        onFailure = listener;
      },
      destroy: () => closeSocket(connection),
      async end(graceMs) {
        const connected = await ready.then(
          () => true,
          () => false,
        );
        if (connected) {
          const timer = setTimeout(() => closeSocket(connection), graceMs);
          await new Promise<void>((resolve) => connection.end(() => resolve()));
          clearTimeout(timer);
        }
        closeSocket(connection);
      },
    };
  }

  stateOf(connection: mysql.PoolConnection): ConnectionState {
    return stateOf(connection);
  }

  reportedWritable(): undefined {
    // MySQL reports no role at login: every new connection is asked once.
    return undefined;
  }

  endedError(): Error {
    return new PoolEndedError(CLOSED);
  }

  isAlive(connection: mysql.PoolConnection): boolean {
    return isAlive(connection);
  }

  sessionIdOf(connection: mysql.PoolConnection): number | undefined {
    const id = connection.threadId;
    return typeof id === 'number' && id > 0 ? id : undefined;
  }

  destroy(connection: mysql.PoolConnection): void {
    closeSocket(connection);
  }

  async execute(
    connection: mysql.PoolConnection,
    sql: string,
    values: readonly unknown[],
  ): Promise<StatementResult> {
    // Plain rows whatever the pool's own row settings: the library reads its columns by name.
    const options = { sql, values: [...values], rowsAsArray: false, nestTables: false };
    const call = {
      kind: 'query',
      options,
      reRunnable: false,
      exactlyOnce: false,
      callback: undefined,
    } as const;
    const [result] = await runStatement(connection, call, this.config.shared.multipleStatements === true);
    return {
      rows: Array.isArray(result) ? (result as Row[]) : [],
      affectedRows: (result as { affectedRows?: number } | undefined)?.affectedRows,
    };
  }
}
