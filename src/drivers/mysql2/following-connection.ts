import { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import type { PoolConnection as PromisePoolConnection } from 'mysql2/promise';
import { FollowingSession, type FollowingSessionBase } from '../../core/following-session';
import { parseStatementCall, refuseExactlyOnce, type StatementCall } from './call-args';
import { carrierFor, deliver, emitError } from './carrier';
import { promiseConnectionClass } from './promise-classes';
import { type StatementOutcome, sendStatement } from './statement';

type Connection = mysql.PoolConnection;

/** The pool's parts a following connection needs (FailoverMysqlPool's `followingSessionBase`). */
export interface MysqlFollowingBase extends FollowingSessionBase<Connection> {
  readonly multipleStatements: boolean;
  /** mysql2's ConnectionConfig of the pool, for the Query objects handed back and for `config`. */
  readonly connectionConfig: mysql.PoolOptions;
}

/**
 * What `createMysql2Module`'s `createConnection()` returns: a mysql2 Connection look-alike for ORMs
 * that open connections one by one and pool them themselves (Sequelize's `createConnection`, then
 * `query`/`execute` with callbacks, `end`). It stands for one server session on the current primary
 * at a time and follows the primary under the rules of core/following-session.ts: outside a
 * transaction a statement that did not run is run again on the new primary, after the session's
 * SET statements; a transaction stays on its connection.
 *
 * As mysql2's, it connects at once and emits `connect` (or `error`). `query` and `execute` return a
 * mysql2 Query whose events and callback get the outcome once the statement has run (rows are not
 * streamed while they arrive). Its server connection comes from the module's pool of such
 * connections and goes back to it on `end()`.
 */
export class FollowingMysqlConnection extends EventEmitter {
  /** mysql2's flags, which ORMs read to tell a usable connection (Sequelize's validate). */
  _closing = false;
  _fatalError: Error | null = null;
  _protocolError: Error | null = null;
  /** mysql2's socket, as far as ORMs look at it: destroyed once the connection is closed. */
  readonly stream = { destroyed: false };
  readonly config: mysql.PoolOptions;
  private readonly session: FollowingSession<Connection> | undefined;
  private readonly multipleStatements: boolean;

  constructor(base: () => MysqlFollowingBase) {
    super();
    let parts: MysqlFollowingBase | undefined;
    try {
      parts = base();
    } catch (error) {
      process.nextTick(() => this.fail(error as Error));
    }
    this.config = parts?.connectionConfig ?? {};
    this.multipleStatements = parts?.multipleStatements ?? false;
    if (!parts) return;
    const { multipleStatements } = parts;
    this.session = new FollowingSession<Connection>({
      engine: parts.engine,
      maxAttempts: parts.maxAttempts,
      replay: (sql) => (connection, _node, done) =>
        sendStatement(connection, parseStatementCall('query', [sql]), multipleStatements, done),
    });
    this.session.open().then(
      () => this.emit('connect'),
      (error: Error) => this.fail(error),
    );
  }

  query(...args: unknown[]): mysql.Query {
    return this.statement('query', args);
  }

  execute(...args: unknown[]): mysql.Query {
    return this.statement('execute', args);
  }

  beginTransaction(callback?: (error: Error | null) => void): mysql.Query {
    return this.query('START TRANSACTION', toResultCallback(callback));
  }

  commit(callback?: (error: Error | null) => void): mysql.Query {
    return this.query('COMMIT', toResultCallback(callback));
  }

  rollback(callback?: (error: Error | null) => void): mysql.Query {
    return this.query('ROLLBACK', toResultCallback(callback));
  }

  ping(callback?: (error: Error | null) => void): mysql.Query {
    return this.query({ sql: 'SELECT 1', readOnly: true }, toResultCallback(callback));
  }

  /** Closes it: its server connection goes back to the module's pool (mysql2 closes its socket). */
  end(callback?: (error?: Error | null) => void): void {
    this.close(false);
    if (typeof callback === 'function') process.nextTick(callback, null);
  }

  destroy(): void {
    this.close(true);
  }

  escape(value: mysql.SqlValue): string {
    return mysql.escape(value, this.config.stringifyObjects, this.config.timezone);
  }

  escapeId(value: string | string[]): string {
    return mysql.escapeId(value, false);
  }

  format(sql: string, values?: mysql.SqlValue | mysql.SqlValue[]): string {
    return mysql.format(sql, values, this.config.stringifyObjects, this.config.timezone);
  }

  /** mysql2/promise's connection around this one. */
  promise(promiseImpl?: PromiseConstructor): PromisePoolConnection {
    return new (promiseConnectionClass())(this as unknown as Connection, promiseImpl);
  }

  /** The server thread of the connection it stands for now (it changes when it follows a new primary). */
  get threadId(): number | null {
    return this.session?.connection?.threadId ?? null;
  }

  private statement(kind: 'query' | 'execute', args: unknown[]): mysql.Query {
    const call = parseStatementCall(kind, args);
    refuseExactlyOnce(call, 'a connection');
    const carrier = carrierFor(call, this.config);
    this.run(call).then(
      (outcome) => deliver(carrier, call, undefined, outcome),
      (error: unknown) => deliver(carrier, call, error, undefined),
    );
    return carrier;
  }

  private async run(call: StatementCall): Promise<StatementOutcome> {
    const session = this.session;
    if (this._closing || !session) {
      throw Object.assign(new Error("Can't add new command when connection is in closed state"), {
        fatal: true,
      });
    }
    const { multipleStatements } = this;
    return session.run(call.options.sql, { reRunnable: call.reRunnable }, (connection, _node, done) =>
      sendStatement(connection, call, multipleStatements, done),
    );
  }

  private fail(error: Error): void {
    this._fatalError = error;
    this.close(true);
    emitError(this, error);
  }

  private close(broken: boolean): void {
    if (this._closing) return;
    this._closing = true;
    this.stream.destroyed = true;
    this.session?.close(broken);
    process.nextTick(() => this.emit('end'));
  }
}

/** mysql2's transaction helpers call back with the error only. */
function toResultCallback(callback?: (error: Error | null) => void): (error: Error | null) => void {
  return (error) => callback?.(error ?? null);
}
