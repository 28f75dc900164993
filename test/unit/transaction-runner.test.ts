import { describe, expect, it } from 'vitest';
import {
  CommitOutcomeUnknownError,
  ConfigError,
  NodeUnavailableError,
  NoPrimaryError,
  TransactionAttemptsExhaustedError,
  WriteOutcomeUnknownError,
} from '../../src/core/errors';
import type { TransactionRetryEvent } from '../../src/core/events';
import { resolveTransactionsOptions } from '../../src/core/transaction-options';
import {
  ONCE_KEY_PREFIX,
  StoredResult,
  type TransactionFunction,
  TransactionRunner,
} from '../../src/core/transaction-runner';
import { FakeClock } from './support/fake-clock';
import {
  FAKE_ENGINES,
  FakeDatabase,
  type FakeTx,
  fakeDriver,
  NodeFailure,
} from './support/fake-transactions';

/**
 * The transaction runner's decision table, on a fake engine and driver: where an attempt failed
 * (a statement of the function, the key's INSERT, COMMIT) x with or without an idempotency key x
 * engine (PostgreSQL's and MySQL's error shapes through their real dialects).
 */

function setup(engine: (typeof FAKE_ENGINES)[number], pool: Record<string, unknown> = {}) {
  const db = new FakeDatabase(engine);
  const clock = new FakeClock();
  const retries: TransactionRetryEvent[] = [];
  const runner = new TransactionRunner(
    db,
    fakeDriver(db),
    resolveTransactionsOptions(pool),
    (attempt) => 100 * attempt,
    (event, ...args) => {
      if (event === 'transactionRetry') retries.push(args[0] as TransactionRetryEvent);
    },
    clock,
  );
  /** Runs a transaction to its end, moving the fake clock through its backoff pauses. */
  const run = async <T>(fn: TransactionFunction<FakeTx, T>, options?: unknown): Promise<T> => {
    let settled = false;
    const promise = runner.run(fn, options).finally(() => {
      settled = true;
    });
    promise.catch(() => undefined);
    while (!settled) await clock.advance(100);
    return promise;
  };
  return { db, clock, retries, runner, run };
}

/** A checkout: two writes, and a result. Counts its runs. */
function checkout(runs: { count: number }, result: unknown = { orderId: 7 }) {
  return async (tx: FakeTx) => {
    runs.count++;
    await tx.query('UPDATE stock');
    await tx.query('INSERT order');
    return result;
  };
}

const KEY = { idempotencyKey: 'checkout:42' };

describe.each(FAKE_ENGINES)('pool.transaction on $name', (engine) => {
  it('commits once and returns the function result; with a key, its JSON round trip, and stores the key', async () => {
    const { db, run } = setup(engine);
    const runs = { count: 0 };
    const when = new Date(0);
    expect(await run(checkout(runs, { when }))).toEqual({ when });
    expect(await run(checkout(runs, { when }), KEY)).toEqual({ when: '1970-01-01T00:00:00.000Z' });
    expect(db.committed).toEqual(['UPDATE stock', 'INSERT order', 'UPDATE stock', 'INSERT order']);
    expect(db.keys.get('checkout:42')).toBe(JSON.stringify({ when }));
    expect(runs.count).toBe(2);
    expect(db.releases.every((r) => !r.broken)).toBe(true);
  });

  it.each([
    ['connection lost', () => new NodeFailure('connection-lost'), 'connection-lost'],
    ['read-only node', () => new NodeFailure('read-only'), 'read-only'],
    ['statement never sent', () => new NodeFailure('not-sent'), 'not-sent'],
    ['serialization failure', engine.serializationFailure, 'serialization-failure'],
    ['deadlock', engine.deadlock, 'deadlock'],
    ['lock wait timeout', engine.lockTimeout, 'lock-timeout'],
  ] as const)(
    're-runs the whole function after a %s before COMMIT, with or without a key',
    async (_, error, reason) => {
      for (const options of [undefined, KEY]) {
        const { db, retries, run } = setup(engine);
        db.fail(/^INSERT order/, error);
        const runs = { count: 0 };
        await run(checkout(runs), options);
        expect(runs.count).toBe(2);
        expect(db.committed).toEqual(['UPDATE stock', 'INSERT order']);
        expect(retries).toMatchObject([{ attempt: 1, reason, delayMs: 100 }]);
        // Conflicts are the database's normal business: the node is not suspected.
        expect(db.reported).toHaveLength(
          reason.endsWith('-failure') || reason === 'deadlock' || reason === 'lock-timeout' ? 0 : 1,
        );
        // The failed attempt's connection: destroyed after a node failure, rolled back and kept after a conflict.
        expect(db.releases.filter((r) => r.broken)).toHaveLength(error() instanceof NodeFailure ? 1 : 0);
      }
    },
  );

  it('sends nothing more once a conflict dooms the attempt, even if the function catches it', async () => {
    const { db, run } = setup(engine);
    db.fail(/^UPDATE stock/, engine.deadlock);
    const runs = { count: 0 };
    const caught: unknown[] = [];
    await run(async (tx) => {
      runs.count++;
      await tx.query('UPDATE stock').catch((error) => caught.push(error));
      await tx.query('INSERT order').catch((error) => caught.push(error));
      return 'done';
    });
    expect(runs.count).toBe(2);
    // The second statement of the first attempt was refused without being sent.
    expect(db.sent(/^INSERT order/)).toHaveLength(1);
    expect(caught).toHaveLength(2);
    expect(db.committed).toEqual(['UPDATE stock', 'INSERT order']);
  });

  it('re-runs after a conflict at COMMIT (serialization failure, certification failure)', async () => {
    const { db, retries, run } = setup(engine);
    db.fail(/^COMMIT/, engine.serializationFailure);
    const runs = { count: 0 };
    expect(await run(checkout(runs), KEY)).toEqual({ orderId: 7 });
    expect(runs.count).toBe(2);
    expect(retries.map((r) => r.reason)).toEqual(['serialization-failure']);
    expect(db.committed).toHaveLength(2);
  });

  it("the function's own error: rolled back, not re-run, reaches the caller unchanged", async () => {
    for (const options of [undefined, KEY]) {
      const { db, retries, run } = setup(engine);
      const mine = new Error('out of stock');
      let runs = 0;
      const outcome = run(async (tx) => {
        runs++;
        await tx.query('UPDATE stock');
        throw mine;
      }, options);
      await expect(outcome).rejects.toBe(mine);
      expect(runs).toBe(1);
      expect(retries).toEqual([]);
      expect(db.committed).toEqual([]);
      expect(db.sent(/^ROLLBACK/)).toHaveLength(1);
      expect(db.releases.at(-1)).toMatchObject({ broken: false });
      expect(db.keys.size).toBe(0);
    }
  });

  it('a database error the function does not catch (its own constraint): not re-run, unchanged', async () => {
    const { db, run } = setup(engine);
    const violation = engine.uniqueViolation();
    db.fail(/^INSERT order/, () => violation);
    const runs = { count: 0 };
    await expect(run(checkout(runs), KEY)).rejects.toBe(violation);
    expect(runs.count).toBe(1);
    expect(db.committed).toEqual([]);
  });

  it('COMMIT lost without a key: CommitOutcomeUnknownError saying how to add one; not re-run', async () => {
    const { db, run } = setup(engine);
    db.fail(/^COMMIT/, () => new NodeFailure('connection-lost'), { when: 'after' });
    const runs = { count: 0 };
    const error = await run(checkout(runs)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(error).toMatchObject({ code: 'COMMIT_OUTCOME_UNKNOWN', reason: 'no-key', host: '127.0.0.1' });
    expect((error as Error).message).toMatch(/idempotencyKey/);
    expect(runs.count).toBe(1);
    expect(db.committed).toHaveLength(2); // it had in fact committed
  });

  it('COMMIT lost after it committed, with a key: the lookup finds the key and returns the stored result', async () => {
    const { db, retries, run } = setup(engine);
    db.fail(/^COMMIT/, () => new NodeFailure('connection-lost'), { when: 'after' });
    const runs = { count: 0 };
    expect(await run(checkout(runs, { orderId: 9 }), KEY)).toEqual({ orderId: 9 });
    expect(runs.count).toBe(1);
    expect(retries).toEqual([]);
    expect(db.committed).toHaveLength(2);
    expect(db.releases.find((r) => r.broken)).toBeDefined();
  });

  it('an exactly-once statement: no lookup before its first attempt, the live result back, a fresh key stored', async () => {
    const { db, runner } = setup(engine);
    const live = { rows: [{ id: 1 }], when: new Date(0) };
    const result = await runner.runOnce(
      async (tx: FakeTx) => {
        await tx.query('INSERT order');
        return live;
      },
      (value) => ({ rows: value.rows }),
    );
    expect(result).toBe(live);
    expect(db.sent(/^SELECT result/)).toEqual([]);
    const [key] = [...db.keys.keys()];
    expect(key?.startsWith(ONCE_KEY_PREFIX)).toBe(true);
    expect(db.keys.get(key as string)).toBe(JSON.stringify({ rows: [{ id: 1 }] }));
  });

  it('an exactly-once statement whose COMMIT was lost after it committed: the stored summary, not run again', async () => {
    const { db, clock, runner } = setup(engine);
    db.fail(/^COMMIT/, () => new NodeFailure('connection-lost'), { when: 'after' });
    const runs = { count: 0 };
    const promise = runner.runOnce(checkout(runs, { orderId: 9, when: new Date(0) }), (value) => value);
    let result: unknown;
    promise.then((r) => (result = r));
    while (result === undefined) await clock.advance(100);
    expect(result).toEqual(new StoredResult({ orderId: 9, when: '1970-01-01T00:00:00.000Z' }));
    expect(runs.count).toBe(1);
    expect(db.committed).toHaveLength(2);
  });

  it('an exactly-once statement whose COMMIT was lost before it committed: looked up, absent, run again once', async () => {
    const { db, clock, runner } = setup(engine);
    db.fail(/^COMMIT/, () => new NodeFailure('connection-lost'), { when: 'before' });
    const runs = { count: 0 };
    const promise = runner.runOnce(checkout(runs), (value) => value);
    let result: unknown;
    promise.then((r) => (result = r));
    while (result === undefined) await clock.advance(100);
    expect(result).toEqual({ orderId: 7 });
    expect(runs.count).toBe(2);
    expect(db.sent(/^SELECT result/)).toHaveLength(1);
    expect(db.committed).toHaveLength(2);
  });

  it('COMMIT lost before it committed, with a key: the key is absent, so the function runs again, once', async () => {
    const { db, retries, run } = setup(engine);
    db.fail(/^COMMIT/, () => new NodeFailure('connection-lost'), { when: 'before' });
    const runs = { count: 0 };
    expect(await run(checkout(runs), KEY)).toEqual({ orderId: 7 });
    expect(runs.count).toBe(2);
    expect(retries.map((r) => [r.reason, r.idempotencyKey])).toEqual([['commit-not-applied', 'checkout:42']]);
    expect(db.committed).toHaveLength(2);
  });

  it('COMMIT timed out (the app query timeout), with a key: resolved by the lookup as well', async () => {
    const { db, run } = setup(engine);
    db.fail(/^COMMIT/, () => new NodeFailure('timed-out'), { when: 'after' });
    const runs = { count: 0 };
    expect(await run(checkout(runs), KEY)).toEqual({ orderId: 7 });
    expect(runs.count).toBe(1);
  });

  it('COMMIT lost and no primary answers the lookup: CommitOutcomeUnknownError (unresolved), not NoPrimaryError', async () => {
    const { db, run } = setup(engine);
    db.fail(/^COMMIT/, () => {
      db.noPrimary = true;
      return new NodeFailure('connection-lost');
    });
    const error = await run(checkout({ count: 0 }), KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(error).toMatchObject({ reason: 'unresolved', idempotencyKey: 'checkout:42' });
    expect((error as Error).cause).toBeInstanceOf(NoPrimaryError);
  });

  it('COMMIT never sent (connection already dead) or refused read-only: re-run, with or without a key', async () => {
    for (const kind of ['not-sent', 'read-only', 'terminated'] as const) {
      for (const options of [undefined, KEY]) {
        const { db, retries, run } = setup(engine);
        db.fail(/^COMMIT/, () => new NodeFailure(kind));
        const runs = { count: 0 };
        await run(checkout(runs), options);
        expect(runs.count).toBe(2);
        expect(retries.map((r) => r.reason)).toEqual([kind]);
        expect(db.committed).toHaveLength(2);
      }
    }
  });

  it('a key stored before the first attempt returns the stored result at once', async () => {
    const { db, run } = setup(engine);
    db.keys.set('checkout:42', JSON.stringify({ orderId: 1 }));
    const runs = { count: 0 };
    expect(await run(checkout(runs), KEY)).toEqual({ orderId: 1 });
    expect(runs.count).toBe(0);
    expect(db.sent(/^(BEGIN|START)/)).toEqual([]);
    // A function that returned undefined is stored as NULL and comes back as undefined.
    db.keys.set('k:undefined', null);
    expect(await run(checkout(runs), { idempotencyKey: 'k:undefined' })).toBeUndefined();
  });

  it('the same key committed meanwhile by a concurrent duplicate: its result is returned, this work rolled back', async () => {
    const { db, retries, run } = setup(engine);
    const runs = { count: 0 };
    const result = await run(async (tx) => {
      runs.count++;
      await tx.query('INSERT order');
      // The caller's duplicate request commits first.
      if (runs.count === 1) db.keys.set('checkout:42', JSON.stringify({ orderId: 'first' }));
      return { orderId: 'second' };
    }, KEY);
    expect(result).toEqual({ orderId: 'first' });
    expect(runs.count).toBe(1);
    // The lookup before the would-be re-run found the key: nothing ran again.
    expect(retries).toEqual([]);
    expect(db.committed).toEqual([]);
  });

  it('gives up after maxAttempts with TransactionAttemptsExhaustedError; the backoff follows failover.retryDelayMs', async () => {
    const { db, retries, run } = setup(engine, { maxAttempts: 4 });
    db.fail(/^INSERT order/, engine.deadlock, { times: 10 });
    const runs = { count: 0 };
    const error = await run(checkout(runs), { maxAttempts: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionAttemptsExhaustedError);
    expect(error).toMatchObject({
      code: 'TRANSACTION_ATTEMPTS_EXHAUSTED',
      attempt: 3,
      lastReason: 'deadlock',
    });
    expect((error as Error).message).toMatch(/maxAttempts/);
    expect((error as Error).cause).toMatchObject({ message: engine.deadlock().message });
    expect(runs.count).toBe(3);
    expect(retries.map((r) => r.delayMs)).toEqual([100, 200]);
    // The pool's default applies without a per-call value.
    runs.count = 0;
    await run(checkout(runs)).catch(() => undefined);
    expect(runs.count).toBe(4);
  });

  it("the app's own query timeout before COMMIT: not re-run, the driver's error unchanged, connection destroyed", async () => {
    const { db, run } = setup(engine);
    const timeout = new NodeFailure('timed-out');
    db.fail(/^UPDATE stock/, () => timeout);
    const runs = { count: 0 };
    await expect(run(checkout(runs), KEY)).rejects.toBe(timeout);
    expect(runs.count).toBe(1);
    expect(db.releases.at(-1)).toMatchObject({ broken: true });
  });

  it('a node that stopped being the primary during the function gets no COMMIT: re-run on the new one', async () => {
    const { db, retries, run } = setup(engine);
    const runs = { count: 0 };
    await run(async (tx) => {
      runs.count++;
      await tx.query('INSERT order');
      db.status = runs.count === 1 ? 'superseded' : null;
    });
    expect(runs.count).toBe(2);
    expect(retries[0]).toMatchObject({ reason: 'not-sent' });
    expect(retries[0]?.error).toBeInstanceOf(NodeUnavailableError);
    expect(db.sent(/^COMMIT/)).toHaveLength(1);
    expect(db.committed).toEqual(['INSERT order']);
  });

  it('refuses BEGIN, COMMIT and ROLLBACK through tx; SAVEPOINT and ROLLBACK TO SAVEPOINT pass', async () => {
    const { db, run } = setup(engine);
    for (const sql of [
      'COMMIT',
      'begin',
      '  ROLLBACK',
      'START TRANSACTION',
      '/* x */ END',
      'set autocommit = 1',
    ]) {
      await expect(run((tx) => tx.query(sql))).rejects.toThrow(/the pool begins and commits/);
    }
    await run(async (tx) => {
      await tx.query('SAVEPOINT a');
      await tx.query('ROLLBACK TO SAVEPOINT a');
    });
    expect(db.committed).toEqual(['SAVEPOINT a', 'ROLLBACK TO SAVEPOINT a']);
  });

  it('tx cannot be used once the transaction ended', async () => {
    const { run } = setup(engine);
    const leaked = await run(async (tx) => tx);
    await expect(leaked.query('UPDATE stock')).rejects.toThrow(/has ended/);
  });

  it('a nested call joins the outer transaction; a nested key is stored with it and honoured across re-runs', async () => {
    const { db, runner, run } = setup(engine);
    db.fail(/^UPDATE stock/, engine.serializationFailure);
    let innerRuns = 0;
    const result = await run(async (tx) => {
      const inner = await runner.run(
        async (innerTx) => {
          innerRuns++;
          await innerTx.query('INSERT order');
          return innerRuns;
        },
        { idempotencyKey: 'inner' },
      );
      await tx.query('UPDATE stock');
      return inner;
    });
    // The first attempt's nested key rolled back with it, so the nested function ran again.
    expect(innerRuns).toBe(2);
    expect(result).toBe(2);
    expect(db.sent(/^(BEGIN|START TRANSACTION)/)).toHaveLength(2);
    expect(db.keys.get('inner')).toBe('2');
    // Now stored: a later outer transaction gets the nested result without running it.
    expect(await run(() => runner.run(async () => innerRuns++, { idempotencyKey: 'inner' }))).toBe(2);
    expect(innerRuns).toBe(2);
  });

  it('a nested call may not ask for another isolation level', async () => {
    const { run, runner } = setup(engine);
    const outcome = run(() => runner.run(async () => 1, { isolationLevel: 'read committed' }), {
      isolationLevel: 'serializable',
    });
    await expect(outcome).rejects.toThrow(ConfigError);
    await expect(outcome).rejects.toMatchObject({ option: 'transaction.isolationLevel' });
    expect(
      await run(() => runner.run(async () => 1, { isolationLevel: 'serializable' }), {
        isolationLevel: 'serializable',
      }),
    ).toBe(1);
  });

  it('opens the transaction at the isolation level asked for', async () => {
    const { db, run } = setup(engine);
    await run(async () => 1, { isolationLevel: 'Serializable' });
    expect(db.sent(/SERIALIZABLE/)).toHaveLength(1);
  });

  it('creates the idempotency table on first use; a missing table on the primary (lost in a failover) is created again', async () => {
    const { db, retries, run } = setup(engine);
    db.tableExists = false;
    await run(checkout({ count: 0 }), KEY);
    expect(db.sent(/^CREATE/).length).toBeGreaterThan(0);
    // The table vanishes after the pool created it: the key's INSERT fails, the table is made again.
    db.tableExists = false;
    db.keys.clear();
    await run(checkout({ count: 0 }), { idempotencyKey: 'other' });
    expect(retries.map((r) => r.reason)).toEqual(['idempotency-table-missing']);
    expect(db.keys.has('other')).toBe(true);
  });

  it('a user that may not create the table: ConfigError naming transactions.idempotencyTable, with the DDL', async () => {
    const { db, run } = setup(engine, { idempotencyTable: 'shop.keys' });
    db.tableExists = false;
    db.createDenied = true;
    const error = await run(checkout({ count: 0 }), KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'transactions.idempotencyTable' });
    expect((error as Error).message).toMatch(/CREATE TABLE IF NOT EXISTS .shop.\..keys./);
    expect((error as Error).message).toMatch(/grant SELECT, INSERT, DELETE/);
  });

  it('purges old keys in batches and counts them; no table, nothing to purge', async () => {
    const { db, runner } = setup(engine);
    for (let i = 0; i < 12_000; i++) db.keys.set(`k${i}`, null);
    expect(await runner.purge({ olderThan: 0 })).toBe(12_000);
    expect(db.sent(/^DELETE/)).toHaveLength(3);
    db.tableExists = false;
    expect(await runner.purge({ olderThan: 1000 })).toBe(0);
  });
});

describe('pool.transaction options', () => {
  const [engine] = FAKE_ENGINES;
  const { run, runner } = setup(engine!);

  it.each([
    [{ maxAttemps: 3 }, 'transaction.maxAttemps', /Did you mean `transaction.maxAttempts`/],
    [{ maxAttempts: 0 }, 'transaction.maxAttempts', /at least 1/],
    [{ isolationLevel: 'snapshot' }, 'transaction.isolationLevel', /serializable/],
    [{ idempotencyKey: '' }, 'transaction.idempotencyKey', /non-empty/],
    [{ idempotencyKey: 'x'.repeat(256) }, 'transaction.idempotencyKey', /at most 255/],
  ])('%j is refused naming %s', async (options, option, message) => {
    const error = await run(async () => 1, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toMatch(message);
  });

  it('a result that JSON cannot hold, with a key: ConfigError, rolled back', async () => {
    const error = await run(async () => ({ id: 1n }), KEY).catch((e: unknown) => e);
    expect(error).toMatchObject({ option: 'transaction.idempotencyKey' });
  });

  it('pool options and purge options are checked too', async () => {
    expect(() => resolveTransactionsOptions({ idempotencyTable: 'a;drop' })).toThrow(
      /transactions.idempotencyTable/,
    );
    expect(() => resolveTransactionsOptions({ maxAttempt: 2 })).toThrow(
      /Did you mean `transactions.maxAttempts`/,
    );
    await expect(runner.purge({})).rejects.toMatchObject({ option: 'purge.olderThan' });
    await expect(runner.purge({ olderThan: -1 })).rejects.toMatchObject({ option: 'purge.olderThan' });
    await expect(runner.run('not a function' as never)).rejects.toThrow(TypeError);
  });
});
