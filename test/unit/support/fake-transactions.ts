import type { StatementResult } from '../../../src/core/driver';
import type { Pinned } from '../../../src/core/engine';
import { type NodeUnavailableReason, NoPrimaryError } from '../../../src/core/errors';
import type { NodeView } from '../../../src/core/node';
import type { FailureKind, Operation } from '../../../src/core/retry';
import type { TransactionDialect } from '../../../src/core/transaction-dialect';
import type {
  StatementGate,
  TransactionDriver,
  TransactionEngine,
} from '../../../src/core/transaction-driver';
import { mysqlTransactions } from '../../../src/dialects/mysql/transactions';
import { postgresTransactions } from '../../../src/dialects/postgres/transactions';

/**
 * An in-memory database behind a fake engine and driver, for unit tests of the transaction runner:
 * transactions buffer their writes and apply them at COMMIT, the idempotency table is a map with a
 * primary key, and faults are injected on statements by pattern. Each engine's conflicts and
 * constraint errors are shaped as its driver reports them, so the real dialects classify them.
 */

/** An error the fake driver classifies as `kind` (a node or connection failure). */
export class NodeFailure extends Error {
  constructor(readonly kind: Exclude<FailureKind, 'application'>) {
    super(`fake ${kind}`);
  }
}

export interface FakeEngineSpec {
  readonly name: 'postgres' | 'mysql';
  readonly dialect: TransactionDialect;
  /** A conflict error of each kind, as the engine's driver reports it. */
  readonly serializationFailure: () => Error;
  readonly deadlock: () => Error;
  readonly lockTimeout: () => Error;
  readonly uniqueViolation: () => Error;
  readonly undefinedTable: () => Error;
  readonly permissionDenied: () => Error;
  /** PostgreSQL aborts a transaction on any error: COMMIT then answers ROLLBACK. */
  readonly abortsOnError: boolean;
}

const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'ERROR' });
const mysqlError = (errno: number, code: string, message: string) =>
  Object.assign(new Error(message), { errno, code, sqlState: 'HY000' });

export const FAKE_ENGINES: readonly FakeEngineSpec[] = [
  {
    name: 'postgres',
    dialect: postgresTransactions,
    serializationFailure: () => pgError('40001', 'could not serialize access due to concurrent update'),
    deadlock: () => pgError('40P01', 'deadlock detected'),
    lockTimeout: () => pgError('55P03', 'canceling statement due to lock timeout'),
    uniqueViolation: () => pgError('23505', 'duplicate key value violates unique constraint'),
    undefinedTable: () => pgError('42P01', 'relation does not exist'),
    permissionDenied: () => pgError('42501', 'permission denied for schema public'),
    abortsOnError: true,
  },
  {
    name: 'mysql',
    dialect: mysqlTransactions,
    serializationFailure: () => mysqlError(1020, 'ER_CHECKREAD', 'Record has changed since last read'),
    deadlock: () => mysqlError(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock'),
    lockTimeout: () => mysqlError(1205, 'ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout exceeded'),
    uniqueViolation: () => mysqlError(1062, 'ER_DUP_ENTRY', 'Duplicate entry'),
    undefinedTable: () => mysqlError(1146, 'ER_NO_SUCH_TABLE', "Table doesn't exist"),
    permissionDenied: () => mysqlError(1142, 'ER_TABLEACCESS_DENIED_ERROR', 'CREATE command denied'),
    abortsOnError: false,
  },
];

export interface FakeConnection {
  readonly id: number;
  alive: boolean;
  inTransaction: boolean;
  aborted: boolean;
  writes: string[];
  key: [string, string | null] | undefined;
}

interface Fault {
  readonly pattern: RegExp;
  readonly error: () => Error;
  /** `after`: the statement takes effect, then the error (a COMMIT whose reply was lost). */
  readonly when: 'before' | 'after';
  times: number;
}

export interface Release {
  readonly connection: number;
  readonly broken: boolean;
}

export class FakeDatabase implements TransactionEngine<FakeConnection> {
  /** What committed transactions wrote, in order. */
  readonly committed: string[] = [];
  /** The idempotency table: key -> stored JSON. */
  readonly keys = new Map<string, string | null>();
  tableExists = true;
  /** Every statement sent, as `#connection sql`. */
  readonly log: string[] = [];
  readonly releases: Release[] = [];
  readonly reported: unknown[] = [];
  /** Set to make acquire() and run() fail as with no primary. */
  noPrimary = false;
  /** Set to make pinnedStatus() say the node is no longer the primary. */
  status: NodeUnavailableReason | null = null;
  /** Makes CREATE TABLE fail with a permission error. */
  createDenied = false;
  readonly node: NodeView = {
    name: '127.0.0.1:5432',
    host: '127.0.0.1',
    port: 5432,
    role: 'primary',
  } as NodeView;
  private readonly faults: Fault[] = [];
  private nextId = 1;

  constructor(readonly spec: FakeEngineSpec) {}

  /** Fails the next `times` statements matching `pattern`. */
  fail(
    pattern: RegExp,
    error: () => Error,
    options: { when?: 'before' | 'after'; times?: number } = {},
  ): void {
    this.faults.push({ pattern, error, when: options.when ?? 'before', times: options.times ?? 1 });
  }

  /** Statements sent matching `pattern`. */
  sent(pattern: RegExp): string[] {
    return this.log.filter((line) => pattern.test(line.replace(/^#\d+ /, '')));
  }

  async acquire(): Promise<Pinned<FakeConnection>> {
    if (this.noPrimary) throw new NoPrimaryError('timeout', 'no primary (fake)', 0);
    // A new connection goes to whichever node is the primary now.
    this.status = null;
    return { connection: this.open(), node: this.node };
  }

  release(_node: NodeView, connection: FakeConnection, broken: boolean): void {
    this.releases.push({ connection: connection.id, broken });
  }

  pinnedStatus(): NodeUnavailableReason | null {
    return this.status;
  }

  reportFailure(_node: string, error: unknown): void {
    this.reported.push(error);
  }

  async run<T>(_operation: Operation, work: (connection: FakeConnection, node: NodeView) => Promise<T>) {
    if (this.noPrimary) throw new NoPrimaryError('timeout', 'no primary (fake)', 0);
    const connection = this.open();
    try {
      return await work(connection, this.node);
    } finally {
      this.releases.push({ connection: connection.id, broken: false });
    }
  }

  private open(): FakeConnection {
    return {
      id: this.nextId++,
      alive: true,
      inTransaction: false,
      aborted: false,
      writes: [],
      key: undefined,
    };
  }

  /** The driver: runs `sql` against the fake state, with the injected faults. */
  execute(connection: FakeConnection, sql: string, values: readonly unknown[]): StatementResult {
    this.log.push(`#${connection.id} ${sql}`);
    if (!connection.alive) throw new NodeFailure('not-sent');
    const fault = this.faults.find((f) => f.times > 0 && f.pattern.test(sql));
    if (fault) fault.times--;
    if (fault?.when === 'before') return this.raise(connection, fault.error());
    const result = this.apply(connection, sql, values);
    if (fault) return this.raise(connection, fault.error());
    return result;
  }

  private raise(connection: FakeConnection, error: Error): never {
    if (error instanceof NodeFailure) connection.alive = false;
    else if (this.spec.abortsOnError && connection.inTransaction) connection.aborted = true;
    throw error;
  }

  private apply(connection: FakeConnection, sql: string, values: readonly unknown[]): StatementResult {
    const { spec } = this;
    if (/^(BEGIN|START TRANSACTION)/.test(sql)) {
      Object.assign(connection, { inTransaction: true, aborted: false, writes: [], key: undefined });
      return { rows: [] };
    }
    if (/^SET TRANSACTION/.test(sql)) return { rows: [] };
    if (sql === 'COMMIT') {
      const { aborted } = connection;
      if (!aborted) {
        this.committed.push(...connection.writes);
        if (connection.key) this.keys.set(...connection.key);
      }
      Object.assign(connection, { inTransaction: false, aborted: false, writes: [], key: undefined });
      return { rows: [], command: aborted ? 'ROLLBACK' : 'COMMIT' };
    }
    if (sql === 'ROLLBACK') {
      Object.assign(connection, { inTransaction: false, aborted: false, writes: [], key: undefined });
      return { rows: [], command: 'ROLLBACK' };
    }
    if (/present/.test(sql)) return { rows: [{ present: this.tableExists ? 1 : 0 }] };
    if (/^CREATE/.test(sql)) {
      if (this.createDenied) throw spec.permissionDenied();
      this.tableExists = true;
      return { rows: [] };
    }
    if (/idempotency/.test(sql) && !this.tableExists) throw spec.undefinedTable();
    if (/^SELECT result/.test(sql)) {
      const key = String(values[0]);
      return { rows: this.keys.has(key) ? [{ result: this.keys.get(key) }] : [] };
    }
    if (/^INSERT INTO .failover_pool_idempotency/.test(sql)) {
      const key = String(values[0]);
      if (this.keys.has(key)) throw spec.uniqueViolation();
      connection.key = [key, values[1] as string | null];
      return { rows: [], affectedRows: 1 };
    }
    if (/^DELETE/.test(sql)) {
      const batch = Number(values[1]);
      const doomed = [...this.keys.keys()].slice(0, batch);
      for (const key of doomed) this.keys.delete(key);
      return { rows: [], affectedRows: doomed.length };
    }
    // Anything else is the app's write: applied at COMMIT.
    if (connection.aborted) throw new Error('current transaction is aborted (fake)');
    connection.writes.push(sql);
    return { rows: [{ n: connection.writes.length }], affectedRows: 1 };
  }
}

/** The handle the app's function gets in these tests. */
export interface FakeTx {
  query(sql: string): Promise<StatementResult>;
}

export function fakeDriver(db: FakeDatabase): TransactionDriver<FakeConnection, FakeTx> {
  return {
    dialect: db.spec.dialect,
    execute: async (connection, sql, values) => db.execute(connection, sql, values),
    classify: (error) => (error instanceof NodeFailure ? error.kind : 'application'),
    isAlive: (connection) => connection.alive,
    handle: (gate: StatementGate<FakeConnection>) => ({
      query: (sql) => gate.run(sql, async (connection) => db.execute(connection, sql, [])),
    }),
  };
}
