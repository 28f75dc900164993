import type { FailoverEngine, Pinned } from './engine';
import { NodeUnavailableError } from './errors';
import type { NodeView } from './node';
import { PinnedErrors } from './pinned';
import { endedByServer, type Operation } from './retry';
import { type Done, promiseOf, type Work } from './work';

/**
 * A connection the app holds (pg's `pool.connect()`, mysql2's `getConnection()`), pinned to the node
 * that was primary when it was taken; the rules are the same for every driver, and the facades only
 * translate their driver's calls into `run`, `connection` and `release`:
 * - its first statement gets the pool's re-run rules, moving to a fresh connection if need be:
 *   nothing of the session can be lost by that, and libraries such as Kysely take a connection per
 *   query. Statements issued while it runs wait for it, in order, as the driver would queue them;
 * - while every statement so far only set the session up (SET, BEGIN: ORMs open a transaction on a
 *   connection they just took), a statement that certainly did not run on its node (the node is
 *   gone or read-only, as after a switchover the monitor has not seen yet) moves to a fresh
 *   connection too, where the setup statements are run again first: nothing was applied, and the
 *   transaction had seen nothing yet;
 * - after that nothing is re-run (the app may be inside a transaction), but a statement fails with
 *   NodeUnavailableError once the node is down, demoted or superseded, instead of running on a node
 *   that is no longer the primary; a failure that says the node is gone is reported to the monitor
 *   at once and reaches the app as a FailoverPoolError that says what became of the statement;
 * - on release the connection is destroyed, never pooled, if its node is no longer usable or it broke.
 */
export class PinnedSession<Connection> {
  /** The connection and node this stands for now; undefined while the first statement runs, or once gone. */
  private current: Pinned<Connection> | undefined;
  /** The connection it was taken with, for messages and for what the app reads while none is attached. */
  readonly home: Pinned<Connection>;
  /** Nothing ran on it yet and the app attached nothing to it: it may still move to a fresh connection. */
  private pristine = true;
  /**
   * The statements run so far, while every one only set the session up (`setsUp`): a fresh
   * connection is given them again before a statement moves there. Undefined once anything else
   * ran, or the app changed the connection.
   */
  private setup: Work<Connection, unknown>[] | undefined = [];
  private released = false;
  /**
   * Statements issued and not settled yet. One runs at a time, in the order they were issued, as
   * the driver queues them: so the first may still move the session, and a statement that fails
   * tells exactly whether it had left (the driver's queue would not).
   */
  private pending = 0;
  /** Settles when the last statement issued has. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly errors: (node: NodeView) => PinnedErrors;

  constructor(
    private readonly engine: FailoverEngine<Connection>,
    start: Pinned<Connection>,
    /** The driver's call for a new connection, for the messages (`pool.connect()`). */
    takeNew: string,
    /** The first statement moved the session to a fresh connection (the facade moves the app's listeners). */
    private readonly onMove?: (from: Connection, to: Connection) => void,
  ) {
    this.home = start;
    this.current = start;
    this.errors = (node) => new PinnedErrors(node, takeNew);
  }

  /** The connection the session stands for now (the one it was taken with while none is attached). */
  get connection(): Connection {
    return (this.current ?? this.home).connection;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Statements are under way: a new one waits for them (see `run`). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** The app changed the connection itself (a listener, a setting), which would not follow a move. */
  touch(): void {
    this.pristine = false;
    this.setup = undefined;
  }

  /**
   * Runs one statement under the rules above; `work` gets the connection to run it on. `setsUp`:
   * the statement only sets the session up (a SET of a session setting, a bare BEGIN), so that a
   * fresh connection can be given it again.
   */
  run<T>(operation: Operation, work: Work<Connection, T>, setsUp = false): Promise<T> {
    const first = this.pristine;
    this.pristine = false;
    const go = (): Promise<T> => {
      const result = first
        ? this.runFirst(operation, work)
        : promiseOf<T>((done) => this.runLater(operation, work, done));
      return result.then(
        (value) => {
          if (setsUp) this.setup?.push(work);
          else this.setup = undefined;
          return value;
        },
        (error: unknown) => {
          this.setup = undefined;
          throw error;
        },
      );
    };
    const result = this.pending === 0 ? go() : this.tail.then(go, go);
    this.pending++;
    const settled = () => {
      this.pending--;
    };
    this.tail = result.then(settled, settled);
    return result;
  }

  /**
   * The connection for a statement the driver runs itself (a cursor, a stream), which is never
   * re-run; throws the refusal when nothing may be sent now.
   */
  take(): Connection {
    this.pristine = false;
    this.setup = undefined;
    const refusal = this.refusal();
    if (refusal) throw refusal;
    return (this.current as Pinned<Connection>).connection;
  }

  /** The app closed the connection itself (it leaves its pool on its own): nothing to give back. */
  abandon(): void {
    this.released = true;
  }

  /**
   * Gives the connection back (destroyed when `broken` or no longer usable); `cause` is what the app
   * gave its release call, for the driver's `release` event. False when already released.
   */
  release(broken: boolean, cause?: unknown): boolean {
    if (this.released) return false;
    this.released = true;
    if (this.current) this.giveBack(this.current, broken, cause);
    return true;
  }

  private async runFirst<T>(operation: Operation, work: Work<Connection, T>): Promise<T> {
    let start = this.current as Pinned<Connection>;
    const before = start.connection;
    this.current = undefined;
    const { engine } = this;
    if (engine.pinnedStatus(start.node.name) !== null || !engine.driver.isAlive(start.connection)) {
      engine.release(start.node, start.connection, true);
      start = await engine.acquire(start.node);
      if (this.released) {
        this.giveBack(start, false);
        throw this.errors(start.node).refusal('connection-lost');
      }
    }
    return promiseOf<T>((done) => this.sendFrom(before, operation, start, work, done));
  }

  /**
   * Runs `work` on `start` under the engine's re-run rules (it may end on yet another connection),
   * and makes the connection it ended on the session's; `before` is the one the app had.
   */
  private sendFrom<T>(
    before: Connection,
    operation: Operation,
    start: Pinned<Connection>,
    work: Work<Connection, T>,
    done: Done<T>,
  ): void {
    this.engine.sendPinned(operation, start, work, (error, result, pinned) => {
      if (this.released) {
        // Released while the statement ran: the connection it ended on goes back now.
        if (pinned) this.giveBack(pinned, error !== undefined);
      } else {
        this.current = pinned;
        if (pinned && pinned.connection !== before) this.onMove?.(before, pinned.connection);
      }
      done(error, result as T);
    });
  }

  private runLater<T>(operation: Operation, work: Work<Connection, T>, done: Done<T>): void {
    // Only setup ran so far: a statement that did not run may still move, its setup with it.
    const setup = this.setup?.length ? this.setup : undefined;
    const refusal = this.refusal();
    if (refusal) {
      if (setup && this.current) this.moveWithSetup(setup, operation, work, done);
      else done(refusal);
      return;
    }
    const pinned = this.current as Pinned<Connection>;
    work(pinned.connection, pinned.node, (error, result) => {
      if (!error) return done(undefined, result);
      this.explain(pinned, error, operation.reRunnable).then((explained) => {
        if (setup && explained instanceof NodeUnavailableError && !this.released)
          this.moveWithSetup(setup, operation, work, done);
        else done(explained);
      }, done);
    });
  }

  /**
   * Moves the session to a fresh connection to the current primary, runs `setup` there again, then
   * `work`, all under the re-run rules of a first statement.
   */
  private moveWithSetup<T>(
    setup: readonly Work<Connection, unknown>[],
    operation: Operation,
    work: Work<Connection, T>,
    done: Done<T>,
  ): void {
    const from = this.current as Pinned<Connection>;
    this.current = undefined;
    const { engine } = this;
    engine.release(from.node, from.connection, true);
    const again: Work<Connection, T> = (connection, node, finish) => {
      let step = 0;
      const next = (error?: unknown): void => {
        const statement = setup[step++];
        // pg answers success with a null error.
        if (error) finish(error);
        else if (statement) statement(connection, node, (e) => next(e));
        else work(connection, node, finish);
      };
      next();
    };
    engine.acquire(from.node).then(
      (start) => {
        if (this.released) {
          this.giveBack(start, false);
          done(this.errors(start.node).refusal('connection-lost'));
          return;
        }
        this.sendFrom(from.connection, operation, start, again, done);
      },
      (error: unknown) => done(error),
    );
  }

  /**
   * What the app gets for a statement that failed on the connection, once the monitor has heard of
   * it: the application's own errors unchanged; a session the server ended (PostgreSQL 57P01, MySQL's
   * KILL) while
   * the node stays primary, the server's error too (an operator killed it, as pg_terminate_backend
   * does: no failover); anything else that concerns the node, a FailoverPoolError that says what
   * became of the statement (NodeUnavailableError, WriteOutcomeUnknownError).
   */
  private async explain(pinned: Pinned<Connection>, error: unknown, reRunnable: boolean): Promise<unknown> {
    const kind = this.engine.classify(error, pinned.connection);
    if (kind === 'application') return error;
    this.engine.reportFailure(pinned.node.name, error);
    const failedAt = this.engine.now();
    if (endedByServer(kind) && (await this.engine.stillPrimary(pinned.node.name, failedAt))) return error;
    return this.errors(pinned.node).failure(error, kind, reRunnable);
  }

  /** A statement the driver ran itself (a stream) failed: the monitor hears if the node may be gone. */
  report(error: unknown): void {
    const at = this.current ?? this.home;
    if (this.engine.classify(error, at.connection) !== 'application')
      this.engine.reportFailure(at.node.name, error);
  }

  /** Why nothing may be sent on the connection now, if so. */
  private refusal(): Error | undefined {
    const pinned = this.current;
    if (!pinned || this.released) return this.errors(this.home.node).refusal('connection-lost');
    const reason = this.engine.pinnedStatus(pinned.node.name);
    if (reason !== null) return this.errors(pinned.node).refusal(reason);
    // Its socket already closed: nothing can be sent, and the node may be gone.
    if (!this.engine.driver.isAlive(pinned.connection)) {
      this.engine.reportFailure(pinned.node.name, new Error('connection closed'));
      return this.errors(pinned.node).refusal('connection-lost');
    }
    return undefined;
  }

  private giveBack(pinned: Pinned<Connection>, broken: boolean, cause?: unknown): void {
    const { engine } = this;
    engine.release(
      pinned.node,
      pinned.connection,
      broken || !engine.driver.isAlive(pinned.connection),
      cause,
    );
  }
}
