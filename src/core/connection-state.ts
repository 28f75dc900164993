import type { FailureContext } from './dialect';

/** Notices kept per statement: enough to read what became of it, not a chatty session's all. */
const MAX_NOTICES = 32;
const NO_NOTICES: readonly unknown[] = Object.freeze([]);

/**
 * What the pool must know about each driver connection, which the driver does not keep: whether it
 * is still alive, whether the statement under way was handed to the socket (the bit that decides
 * between "re-run, it never left" and "outcome unknown"), the notices that arrived meanwhile, and
 * whether its session was found writable. The drivers keep one per connection (Driver.stateOf) and
 * update it from the connection's events.
 */
export class ConnectionState implements FailureContext {
  /** As a FailureContext: a failure on this connection is a statement's. */
  readonly phase = 'statement';
  alive = true;
  /** The statement under way was handed to the socket. */
  sent = false;
  /** A statement was handed to the socket and its answer (or error) has not come yet. */
  pending = false;
  /** Statements begun on this connection: tells one pending statement from the next. */
  statements = 0;
  /** The answer of the one role query a new connection gets, where the server does not report it. */
  writable: boolean | undefined = undefined;
  private noticeList: unknown[] | readonly unknown[] = NO_NOTICES;
  /** The statement's text, kept only when it may hold several statements. */
  private text: string | undefined = undefined;

  /**
   * A statement is about to be handed over. `mayHoldSeveral`: the driver would run several
   * statements from this text (PostgreSQL's simple protocol; mysql2 with `multipleStatements`).
   */
  beginStatement(text: string | undefined, mayHoldSeveral: boolean): void {
    this.sent = false;
    this.statements++;
    if (this.noticeList.length > 0) this.noticeList = NO_NOTICES;
    this.text = mayHoldSeveral ? text : undefined;
  }

  addNotice(notice: unknown): void {
    if (this.noticeList === NO_NOTICES) this.noticeList = [];
    if (this.noticeList.length < MAX_NOTICES) (this.noticeList as unknown[]).push(notice);
  }

  /** Notices received since the statement under way started. */
  get notices(): readonly unknown[] {
    return this.noticeList;
  }

  /** The text held more than one statement (conservatively: any inner semicolon). */
  get multiStatement(): boolean {
    return this.text?.replace(/[\s;]+$/, '').includes(';') ?? false;
  }
}
