import pg from 'pg';
import { ConfigError } from '../../core/errors';
import { onlyStartsTransaction } from '../../core/transaction-start';

/** How the reader runs a statement: pg's `query` arguments, sent to replicas by its pool. */
export type ReadQuery = (
  first: unknown,
  second: unknown,
  third: unknown,
) => Promise<pg.QueryResult> | undefined;

/** What the reader shows of the pool it reads through. */
interface ReaderSource {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The pool's counts, behind a symbol: out of the public API. */
const counts = Symbol('failover-pool reader counts');

/**
 * `pool.reader()`: a pg.Pool (an instance of it, as Prisma's adapter checks) whose statements read
 * from the replicas of the pool it came from, within `reads.maxLagMs`, through that pool's own
 * connections and monitor. It opens no connection of its own and ends with that pool (its `end()`
 * does nothing).
 *
 * `connect()` gives a client with no session: each of its statements reads from a replica on its
 * own, as the reader's `query` does (Kysely takes a client for every statement). A session that needs
 * one node (a transaction, SET, a cursor) belongs on the pool itself: a reader's client refuses
 * BEGIN rather than spread a transaction over several replicas.
 */
export class FailoverPgReader extends pg.Pool {
  constructor(
    private readonly source: ReaderSource,
    private readonly read: ReadQuery,
  ) {
    // No option: pg.Pool's constructor opens nothing, and every method that would is replaced.
    super({});
    // pg.Pool's `query` with all its overloads, sent to the replicas.
    const query = (first: unknown, second?: unknown, third?: unknown) => this.read(first, second, third);
    Object.defineProperty(this, 'query', { value: query, writable: true, configurable: true });
  }

  declare query: pg.Pool['query'];

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
  override connect(
    callback?: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): Promise<pg.PoolClient> | undefined {
    const client = sessionlessClient(this.read);
    if (!callback) return Promise.resolve(client);
    process.nextTick(callback, undefined, client, () => undefined);
    return undefined;
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | undefined {
    if (!callback) return Promise.resolve();
    process.nextTick(callback);
    return undefined;
  }

  /** The pool's counts, where the connections are. */
  get [counts](): ReaderSource {
    return this.source;
  }
}

for (const counter of ['totalCount', 'idleCount', 'waitingCount'] as const) {
  Object.defineProperty(FailoverPgReader.prototype, counter, {
    get(this: FailoverPgReader) {
      return this[counts][counter];
    },
  });
}

/** A client whose every statement is the reader's own `query`; release does nothing. */
function sessionlessClient(read: ReadQuery): pg.PoolClient {
  const query = (first: unknown, second?: unknown, third?: unknown) => {
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
    if (typeof text === 'string' && onlyStartsTransaction(text)) {
      const error = new ConfigError(
        'pool.reader()',
        "a reader's client has no session: each statement reads from a replica on its own. Run the transaction on the pool (pool.connect() or pool.transaction()).",
      );
      const callback = [third, second].find((a) => typeof a === 'function') as
        | ((e: Error) => void)
        | undefined;
      if (callback) {
        process.nextTick(callback, error);
        return undefined;
      }
      return Promise.reject(error);
    }
    return read(first, second, third);
  };
  const client = Object.assign(Object.create(pg.Client.prototype) as pg.PoolClient, {
    query,
    release: () => undefined,
  });
  return client;
}
