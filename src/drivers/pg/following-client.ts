import { EventEmitter } from 'node:events';
import pg from 'pg';
import { FollowingSession, type FollowingSessionBase } from '../../core/following-session';
import type { Done } from '../../core/work';
import { trackingOf } from './client-class';
import { parseQueryCall, refuseExactlyOnce, settleCallback } from './query-args';
import { sendStatement } from './statement';

/** Events of the client's connection that the app may listen for, passed on from whichever it is now. */
const PASSED_ON = ['notice', 'notification'] as const;

/** A statement a driver runs itself (pg-cursor, pg-query-stream), as pg's Client takes it. */
interface Submittable {
  submit(connection: unknown): void;
  handleError?(error: Error, connection: unknown): void;
}

/**
 * The `Client` of `createPgModule`: a pg.Client look-alike for ORMs that open connections one by one
 * and pool them themselves (Sequelize's `new Client(config)`, `connect`, `query`, `end`). Each
 * stands for one server session on the current primary at a time, and follows the primary under the
 * rules of core/following-session.ts: outside a transaction a statement that did not run is run
 * again on the new primary with the session's settings; a transaction stays on its connection.
 *
 * Its server connection comes from the module's pool of such connections, and goes back to it on
 * `end()`. What it keeps of pg.Client: `connect`/`query`/`end` in promise and callback forms,
 * submittables (cursors, streams: never re-run), `notice` and `notification` events, `connection`
 * with the login's `parameterStatus` messages, `processID`, `getTransactionStatus`, the escapes.
 * A `LISTEN` does not follow the client to a new connection.
 */
export class FollowingPgClient extends EventEmitter {
  /** pg's wire connection, for its `parameterStatus` messages (Sequelize reads the server version). */
  readonly connection = new EventEmitter();
  /** pg.Client's flag, which ORMs read (Sequelize's validate). */
  _ending = false;
  private session: FollowingSession<pg.PoolClient> | undefined;
  private connecting: Promise<void> | undefined;
  private readonly passOn = new Map<(typeof PASSED_ON)[number], (...args: unknown[]) => void>(
    PASSED_ON.map((event) => [event, (...args: unknown[]) => this.emit(event, ...args)]),
  );

  constructor(private readonly base: () => FollowingSessionBase<pg.PoolClient>) {
    super();
  }

  connect(): Promise<void>;
  connect(callback: (error: Error | undefined) => void): void;
  connect(callback?: (error: Error | undefined) => void): Promise<void> | undefined {
    const connected = this.open();
    if (!callback) return connected;
    connected.then(
      () => callback(undefined),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  query(...args: unknown[]): unknown {
    const first = args[0];
    if (isSubmittable(first)) return this.submit(first);
    const callback =
      typeof args[args.length - 1] === 'function'
        ? (args.pop() as (error: Error | undefined, result: pg.QueryResult | undefined) => void)
        : undefined;
    const result = this.run(args);
    if (!callback) return result;
    settleCallback(result, callback);
    return undefined;
  }

  end(): Promise<void>;
  end(callback: (error?: Error) => void): void;
  end(callback?: (error?: Error) => void): Promise<void> | undefined {
    if (!this._ending) {
      this._ending = true;
      this.session?.close();
      process.nextTick(() => this.emit('end'));
    }
    if (!callback) return Promise.resolve();
    process.nextTick(callback);
    return undefined;
  }

  /** pg's: 'I' idle, 'T' in a transaction, 'E' in a failed one; null before the first statement. */
  getTransactionStatus(): string | null {
    const connection = this.session?.connection;
    if (connection) return pgTransactionStatus(connection) ?? null;
    return this.session?.inTransaction ? 'E' : 'I';
  }

  /** The server process of the connection it stands for now (it changes when it follows a new primary). */
  get processID(): number | null {
    const connection = this.session?.connection as { processID?: number | null } | undefined;
    return connection?.processID ?? null;
  }

  escapeIdentifier(value: string): string {
    return pg.escapeIdentifier(value);
  }

  escapeLiteral(value: string): string {
    return pg.escapeLiteral(value);
  }

  private open(): Promise<void> {
    if (this.connecting) {
      return Promise.reject(new Error('Client has already been connected. You cannot reuse a client.'));
    }
    const { engine, maxAttempts } = this.base();
    const session = new FollowingSession<pg.PoolClient>({
      engine,
      maxAttempts,
      replay: (text) => (connection, _node, done) => sendStatement(connection, { text }, done),
      inTransaction: (connection) => {
        const status = pgTransactionStatus(connection);
        return status === undefined ? undefined : status !== 'I';
      },
      onConnection: (connection, previous) => this.follow(connection, previous),
    });
    this.session = session;
    this.connecting = session.open().then((connection) => {
      // What pg's connection reported at login, for listeners that ask it of pg's Connection.
      for (const [parameterName, parameterValue] of trackingOf(connection).serverParameters)
        this.connection.emit('parameterStatus', { parameterName, parameterValue });
      this.emit('connect');
    });
    return this.connecting;
  }

  private async run(args: unknown[]): Promise<pg.QueryResult> {
    const session = await this.ready();
    const call = parseQueryCall(args[0], args[1]);
    refuseExactlyOnce(call, 'a client');
    return session.run(
      call.config.text,
      { reRunnable: call.reRunnable },
      (connection, _node, done: Done<pg.QueryResult>) => sendStatement(connection, call.config, done),
    );
  }

  private submit(submittable: Submittable): Submittable {
    this.ready()
      .then((session) => session.take())
      .then(
        (connection) => connection.query(submittable as unknown as pg.QueryConfig),
        (error: Error) => submittable.handleError?.(error, undefined),
      );
    return submittable;
  }

  /** The session, once connected; the errors of pg.Client for a client not connected or ended. */
  private async ready(): Promise<FollowingSession<pg.PoolClient>> {
    if (this._ending) throw new Error('Client was closed and is not queryable');
    if (!this.connecting || !this.session) {
      throw new Error('Client is not connected: call connect() first.');
    }
    await this.connecting;
    return this.session;
  }

  /** The app's `notice` / `notification` listeners hear the connection the client stands for now. */
  private follow(connection: pg.PoolClient | undefined, previous: pg.PoolClient | undefined): void {
    for (const [event, listener] of this.passOn) {
      previous?.off(event, listener);
      connection?.on(event, listener);
    }
  }
}

/** pg's transaction status of a connection ('I', 'T', 'E'), where its pg version reports it. */
function pgTransactionStatus(connection: pg.PoolClient): string | undefined {
  const status = (connection as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  return typeof status === 'string' ? status : undefined;
}

function isSubmittable(value: unknown): value is Submittable {
  return typeof value === 'object' && value !== null && typeof (value as Submittable).submit === 'function';
}
