import createDebug from 'debug';
import { ConfigError } from './errors';
import type { IdempotencySql, TransactionDialect } from './transaction-dialect';
import type { TransactionDriver, TransactionEngine } from './transaction-driver';

const debug = createDebug('failover-pool:transaction');

/** Keys are deleted this many at a time, so a purge never holds locks (or a replica) for long. */
const PURGE_BATCH = 5_000;

export type Lookup = { readonly found: true; readonly value: unknown } | { readonly found: false };

/**
 * The idempotency table of one pool, seen from outside any transaction: created on first use, keys
 * looked up and purged. Every statement goes to the current primary through the engine (never to a
 * replica, which may not have the key yet), under the pool's re-run rules: each of them is safe to
 * run twice.
 */
export class IdempotencyStore<Connection> {
  readonly sql: IdempotencySql;
  private readonly dialect: TransactionDialect;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly engine: TransactionEngine<Connection>,
    private readonly driver: TransactionDriver<Connection, unknown>,
    private readonly table: string,
  ) {
    this.dialect = driver.dialect;
    this.sql = this.dialect.idempotency(table);
  }

  /** Resolves once the table exists; checked once per pool (again after `forget`). */
  ensure(): Promise<void> {
    this.ready ??= this.create().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** The table was found missing (not replicated before a failover): check again next time. */
  forget(): void {
    this.ready = undefined;
  }

  async lookup(key: string): Promise<Lookup> {
    const select = this.sql.select(key);
    try {
      const { rows } = await this.engine.run({ reRunnable: true }, (connection) =>
        this.driver.execute(connection, select.sql, select.values),
      );
      const [row] = rows;
      return row ? { found: true, value: parseStored(row.result) } : { found: false };
    } catch (error) {
      if (!this.dialect.isUndefinedTable(error)) throw error;
      // No table on this primary, so no key either.
      this.forget();
      return { found: false };
    }
  }

  /**
   * Deletes the keys older than `olderThanMs` by the server's clock (only those starting with
   * `keyPrefix` if given), in batches; returns how many.
   */
  async purge(olderThanMs: number, keyPrefix?: string): Promise<number> {
    const purge = this.sql.purge(olderThanMs, PURGE_BATCH, keyPrefix);
    let total = 0;
    for (;;) {
      let deleted: number;
      try {
        const result = await this.engine.run({ reRunnable: true }, (connection) =>
          this.driver.execute(connection, purge.sql, purge.values),
        );
        deleted = result.affectedRows ?? 0;
      } catch (error) {
        if (this.dialect.isUndefinedTable(error)) return total;
        throw error;
      }
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
    }
  }

  /**
   * Checks first, so an app whose user may not create tables works once an administrator created
   * it (CREATE ... IF NOT EXISTS needs the privilege even when the table exists). Concurrent creators
   * (many app processes starting at once) are fine: a lost race counts as created.
   */
  private async create(): Promise<void> {
    const exists = this.sql.exists();
    try {
      await this.engine.run({ reRunnable: true }, async (connection) => {
        const { rows } = await this.driver.execute(connection, exists.sql, exists.values);
        if (Number(rows[0]?.present ?? 0) > 0) return;
        debug('creating the idempotency table %s', this.table);
        for (const statement of this.sql.create()) {
          try {
            await this.driver.execute(connection, statement, []);
          } catch (error) {
            if (!this.dialect.isConcurrentCreate(error)) throw error;
          }
        }
      });
    } catch (error) {
      if (!this.dialect.isPermissionDenied(error)) throw error;
      throw Object.assign(
        new ConfigError(
          'transactions.idempotencyTable',
          `the table ${this.table} does not exist and the pool's user may not create it. Create it once as ` +
            `an administrator:\n${this.sql.create().join(';\n')};\nthen grant SELECT, INSERT, DELETE on it ` +
            "to the pool's user (see docs/transactions.md), or name a table it may use.",
        ),
        { cause: error },
      );
    }
  }
}

/** The stored JSON text back as a value; NULL was an undefined result. */
export function parseStored(text: unknown): unknown {
  return text === null || text === undefined ? undefined : JSON.parse(String(text));
}
