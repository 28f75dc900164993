import type { FailoverEngine, Pinned } from './engine';
import { FailoverPoolError, NodeUnavailableError } from './errors';
import type { NodeView } from './node';
import { PinnedSession } from './pinned-session';
import type { Operation } from './retry';
import { type SessionStatementKind, sessionStatementKind } from './session-statement';
import type { Work } from './work';

/** A pool's engine and settings, for the following connections of a driver module. */
export interface FollowingSessionBase<Connection> {
  readonly engine: FailoverEngine<Connection>;
  /** How many fresh connections one statement may be tried on (the pool's `failover.maxAttempts`). */
  readonly maxAttempts: number;
}

/** The method through which a pool gives its FollowingSessionBase (kept out of the public API). */
export const followingSessionBase = Symbol('failover-pool following session base');

/** What a FollowingSession needs from its driver facade. */
export interface FollowingSessionOptions<Connection> extends FollowingSessionBase<Connection> {
  /** The work that runs a recorded session setting again on a fresh connection. */
  readonly replay: (sql: string) => Work<Connection, unknown>;
  /**
   * Whether the server says the connection is inside a transaction (PostgreSQL reports it after
   * every statement); undefined where it does not say, and the statement texts decide.
   */
  readonly inTransaction?: (connection: Connection) => boolean | undefined;
  /** The session now stands for `connection` (undefined: none), which was `previous`. */
  readonly onConnection?: (connection: Connection | undefined, previous: Connection | undefined) => void;
}

/** The most session settings given again to a fresh connection; ORMs make a handful. */
const MAX_SETTINGS = 32;

/**
 * A single connection that follows the primary, for ORMs that open connections one by one and keep
 * them in a pool of their own (Sequelize's `new pg.Client()`, `mysql2.createConnection()`), where
 * the app never asks for a new connection after a failover.
 *
 * Outside a transaction, a statement that certainly did not run on the connection's node (refused
 * because the node is gone, rejected as read-only, a read whose connection died) runs again on a
 * fresh connection to the current primary, after the session settings the app made with SET
 * (recorded as they succeed) are given to it again. A write whose connection died after it was sent
 * reaches the app as WriteOutcomeUnknownError, and the next statement takes a fresh connection.
 *
 * Inside a transaction (from BEGIN / START TRANSACTION to COMMIT / ROLLBACK, or as the server says)
 * every statement stays on the transaction's connection, and nothing is re-run. If that connection
 * is lost, so is the transaction: every statement but ROLLBACK fails until the app ends it, so that
 * no statement meant for the transaction runs outside it on another node.
 */
export class FollowingSession<Connection> {
  private session: PinnedSession<Connection> | undefined;
  private state: 'idle' | 'transaction' | 'lost' = 'idle';
  /**
   * The BEGIN of the open transaction, while nothing else ran in it: a statement that certainly did
   * not run (its node gone or read-only) takes the transaction to a fresh connection, BEGIN first.
   */
  private opened:
    | { sql: string | undefined; operation: Operation; work: Work<Connection, unknown> }
    | undefined;
  /** The node of the transaction that was lost, for the errors until the app ends it. */
  private lostOn: NodeView | undefined;
  /** The node the last connection failed on: the wait for a new primary counts from that failure. */
  private failedOn: NodeView | undefined;
  private readonly settings: string[] = [];
  private closed = false;
  /** Settles when the last statement issued has: statements run one at a time, in order. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FollowingSessionOptions<Connection>) {}

  /** Takes the first connection (the driver's `connect()`). */
  async open(): Promise<Connection> {
    return (await this.attached()).connection;
  }

  /** The connection the session stands for now, if it holds one. */
  get connection(): Connection | undefined {
    return this.session?.connection;
  }

  /** Whether a transaction is open (or lost and not ended by the app yet). */
  get inTransaction(): boolean {
    return this.state !== 'idle';
  }

  /** Runs the statement `sql` (its text; undefined when unknown) under the rules above. */
  run<T>(sql: string | undefined, operation: Operation, work: Work<Connection, T>): Promise<T> {
    const go = () => this.runNow(sql, operation, work);
    const result = this.tail.then(go, go);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The connection for a statement the driver runs itself (a stream): never re-run. */
  async take(): Promise<Connection> {
    await this.tail;
    if (this.state === 'lost') throw this.lostError('other');
    return (await this.attached()).take();
  }

  /** Gives the connection back (destroyed if broken); later statements fail. */
  close(broken = false): void {
    this.closed = true;
    this.detach(broken || this.state !== 'idle');
  }

  private async runNow<T>(
    sql: string | undefined,
    operation: Operation,
    work: Work<Connection, T>,
  ): Promise<T> {
    if (this.closed) throw new Error('The connection is closed.');
    const kind = sessionStatementKind(sql);
    if (this.state === 'lost') {
      if (kind !== 'rollback') {
        if (kind === 'commit') this.endLostTransaction();
        throw this.lostError(kind);
      }
      // ROLLBACK of a lost transaction: nothing is left to roll back; it runs on a fresh connection,
      // where it is harmless, and the session is usable again.
      this.endLostTransaction();
    }
    if (this.state === 'transaction') return this.inOpenTransaction(kind, sql, operation, work, 1);
    for (let attempt = 1; ; attempt++) {
      let session: PinnedSession<Connection>;
      try {
        session = await this.attached();
      } catch (error) {
        // A setting given again was refused on a node that went away meanwhile: a fresh try.
        if (error instanceof NodeUnavailableError && attempt < this.options.maxAttempts) continue;
        throw error;
      }
      try {
        const result = await session.run(operation, work, kind === 'begin' || kind === 'setting');
        this.afterSuccess(kind, sql, session);
        if (kind === 'begin' && this.inTransaction) this.opened = { sql, operation, work };
        return result;
      } catch (error) {
        const notApplied = error instanceof NodeUnavailableError;
        if (notApplied || !this.alive(session)) this.detach(true, session.home.node);
        else this.followServer(session);
        if (!notApplied || attempt >= this.options.maxAttempts) throw error;
      }
    }
  }

  private async inOpenTransaction<T>(
    kind: SessionStatementKind,
    sql: string | undefined,
    operation: Operation,
    work: Work<Connection, T>,
    attempt: number,
  ): Promise<T> {
    const session = this.session;
    if (!session) {
      this.state = 'lost';
      return this.runNow(sql, operation, work);
    }
    const opened = this.opened;
    this.opened = undefined;
    try {
      const result = await session.run(operation, work);
      this.afterSuccess(kind, undefined, session);
      return result;
    } catch (error) {
      if (opened && error instanceof NodeUnavailableError && attempt < this.options.maxAttempts) {
        // Only BEGIN ran in the transaction, and this did not run: nothing of it is lost by moving.
        this.detach(true, session.home.node);
        this.state = 'idle';
        await this.runNow(opened.sql, opened.operation, opened.work);
        return this.inOpenTransaction(kind, sql, operation, work, attempt + 1);
      }
      if (!(error instanceof FailoverPoolError) && this.alive(session)) {
        // The app's own error (a constraint, a deadlock): the transaction is the server's to judge.
        this.followServer(session);
        throw error;
      }
      // The connection is gone, or its node no longer the primary: so is the transaction, which the
      // server rolls back as the connection is closed.
      this.lostOn = session.home.node;
      this.detach(true, session.home.node);
      if (kind === 'rollback') {
        // What the app asked for is done; its ROLLBACK runs on a fresh connection, where it is harmless.
        this.state = 'idle';
        return this.runNow(sql, operation, work);
      }
      // A lost COMMIT ends the transaction with its error; anything else leaves it lost.
      this.state = kind === 'commit' ? 'idle' : 'lost';
      throw error;
    }
  }

  private afterSuccess(
    kind: SessionStatementKind,
    sql: string | undefined,
    session: PinnedSession<Connection>,
  ): void {
    if (kind === 'begin') this.state = 'transaction';
    else if (kind === 'commit' || kind === 'rollback') this.state = 'idle';
    else if (kind === 'setting' && this.state === 'idle' && sql !== undefined) this.record(sql);
    this.followServer(session);
  }

  /** Where the server says whether a transaction is open, it decides (multi-statement texts). */
  private followServer(session: PinnedSession<Connection>): void {
    const open = this.options.inTransaction?.(session.connection);
    if (open === true && this.state === 'idle') this.state = 'transaction';
    else if (open === false && this.state === 'transaction') this.state = 'idle';
  }

  private record(sql: string): void {
    if (this.settings.includes(sql)) return;
    if (this.settings.length >= MAX_SETTINGS) this.settings.shift();
    this.settings.push(sql);
  }

  /** The session's connection, a fresh one to the current primary (settings given again) if none. */
  private async attached(): Promise<PinnedSession<Connection>> {
    if (this.session) return this.session;
    const { engine } = this.options;
    const start: Pinned<Connection> = await engine.acquire(this.failedOn);
    this.failedOn = undefined;
    if (this.closed) {
      engine.release(start.node, start.connection, false);
      throw new Error('The connection is closed.');
    }
    const session = new PinnedSession(engine, start, 'a new connection', (from, to) =>
      this.options.onConnection?.(to, from),
    );
    this.session = session;
    this.options.onConnection?.(start.connection, undefined);
    for (const sql of this.settings) {
      try {
        await session.run({ reRunnable: true }, this.options.replay(sql), true);
      } catch (error) {
        this.detach(true, start.node);
        throw error;
      }
    }
    return session;
  }

  private detach(broken: boolean, failedOn?: NodeView): void {
    const session = this.session;
    if (!session) return;
    if (failedOn) this.failedOn = failedOn;
    this.session = undefined;
    if (!session.isReleased) session.release(broken);
    this.options.onConnection?.(undefined, session.connection);
  }

  private alive(session: PinnedSession<Connection>): boolean {
    return this.options.engine.driver.isAlive(session.connection);
  }

  private endLostTransaction(): void {
    this.state = 'idle';
  }

  private lostError(kind: SessionStatementKind): NodeUnavailableError {
    const node = this.lostOn;
    const where = node ? ` on ${node.name}` : '';
    const message =
      kind === 'commit'
        ? `COMMIT was not sent: the transaction${where} was lost with its connection before it, so nothing ` +
          'of it was committed. Run the transaction again.'
        : `The transaction${where} was lost with its connection; nothing of it was committed. This statement ` +
          'was not run: end the transaction with ROLLBACK, then run it again.';
    return new NodeUnavailableError('connection-lost', message, {
      host: node?.host,
      port: node?.port,
      role: node?.role,
      attempt: 1,
    });
  }
}
