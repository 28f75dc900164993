import { describe, expect, it } from 'vitest';
import {
  type AttemptFailure,
  type AttemptStage,
  decideTransactionFailure,
} from '../../src/core/transaction-decision';
import { mysqlDialect } from '../../src/dialects/mysql/dialect';
import { mysqlTransactions } from '../../src/dialects/mysql/transactions';
import { postgresDialect } from '../../src/dialects/postgres/dialect';
import { postgresTransactions } from '../../src/dialects/postgres/transactions';
import { isTransactionControl } from '../../src/dialects/transaction-sql';

/** The decision table of pool.transaction, as docs/transactions.md shows it. */
const error = new Error('x');
const node = (stage: AttemptStage, kind: Extract<AttemptFailure, { cause: 'node' }>['kind']) =>
  ({ stage, cause: 'node', kind, error }) as const;

describe('decideTransactionFailure', () => {
  it.each([
    // where it failed, why                                   no key                       with a key
    [node('before-commit', 'connection-lost'), ['rerun', 'connection-lost'], ['rerun', 'connection-lost']],
    [node('before-commit', 'read-only'), ['rerun', 'read-only'], ['rerun', 'read-only']],
    [node('before-commit', 'not-sent'), ['rerun', 'not-sent'], ['rerun', 'not-sent']],
    [node('before-commit', 'connect-failed'), ['rerun', 'connect-failed'], ['rerun', 'connect-failed']],
    [node('before-commit', 'terminated'), ['rerun', 'terminated'], ['rerun', 'terminated']],
    [node('before-commit', 'timed-out'), ['surface'], ['surface']],
    [node('commit', 'not-sent'), ['rerun', 'not-sent'], ['rerun', 'not-sent']],
    [node('commit', 'read-only'), ['rerun', 'read-only'], ['rerun', 'read-only']],
    [node('commit', 'terminated'), ['rerun', 'terminated'], ['rerun', 'terminated']],
    [node('commit', 'connection-lost'), ['commit-unknown'], ['resolve']],
    [node('commit', 'timed-out'), ['commit-unknown'], ['resolve']],
    [
      { stage: 'before-commit', cause: 'conflict', conflict: 'deadlock', error },
      ['rerun', 'deadlock'],
      ['rerun', 'deadlock'],
    ],
    [
      { stage: 'commit', cause: 'conflict', conflict: 'serialization-failure', error },
      ['rerun', 'serialization-failure'],
      ['rerun', 'serialization-failure'],
    ],
    [{ stage: 'before-commit', cause: 'application', error }, ['surface'], ['surface']],
    [{ stage: 'commit', cause: 'application', error }, ['surface'], ['surface']],
    [
      { stage: 'before-commit', cause: 'key-exists', error },
      ['rerun', 'idempotency-key-exists'],
      ['rerun', 'idempotency-key-exists'],
    ],
  ] as [AttemptFailure, string[], string[]][])(
    '%o: %j without a key, %j with one',
    (failure, withoutKey, withKey) => {
      for (const [hasKey, expected] of [
        [false, withoutKey],
        [true, withKey],
      ] as const) {
        const decision = decideTransactionFailure(failure, hasKey);
        expect([decision.action, 'reason' in decision ? decision.reason : undefined].filter(Boolean)).toEqual(
          expected,
        );
      }
    },
  );
});

const pg = (code: string) => Object.assign(new Error(code), { code, severity: 'ERROR' });
const my = (errno: number) => Object.assign(new Error(String(errno)), { errno, code: 'ER' });
const STATEMENT = { phase: 'statement', sent: true, notices: [], multiStatement: false } as const;

describe('transaction dialects', () => {
  it('PostgreSQL: 40001, 40P01, 55P03 are conflicts, which pool.query does not re-run (application errors)', () => {
    expect(['40001', '40P01', '55P03', '23505'].map((c) => postgresTransactions.conflictOf(pg(c)))).toEqual([
      'serialization-failure',
      'deadlock',
      'lock-timeout',
      undefined,
    ]);
    for (const code of ['40001', '40P01'])
      expect(postgresDialect.classifyError(pg(code), STATEMENT)).toBe('application');
    expect(postgresTransactions.begin('serializable')).toEqual(['BEGIN ISOLATION LEVEL SERIALIZABLE']);
    expect(postgresTransactions.begin(undefined)).toEqual(['BEGIN']);
  });

  it('MySQL/MariaDB: 1213, 1205, 3572, 1020 are conflicts, which pool.query does not re-run', () => {
    expect([1213, 1205, 3572, 1020, 1062].map((n) => mysqlTransactions.conflictOf(my(n)))).toEqual([
      'deadlock',
      'lock-timeout',
      'lock-timeout',
      'serialization-failure',
      undefined,
    ]);
    for (const errno of [1213, 1205])
      expect(mysqlDialect.classifyError(my(errno), STATEMENT)).toBe('application');
    expect(mysqlTransactions.begin('repeatable read')).toEqual([
      'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'START TRANSACTION',
    ]);
  });

  it("PostgreSQL: a concurrent twin's CREATE of the idempotency table fails in any of three ways; each is a race, not an error", () => {
    for (const code of ['23505', '42P07', '42710'])
      expect(postgresTransactions.isConcurrentCreate(pg(code))).toBe(true);
    expect(postgresTransactions.isConcurrentCreate(pg('42501'))).toBe(false);
  });

  it('quotes the idempotency table, qualified or not', () => {
    expect(postgresTransactions.idempotency('app.keys').select('k').sql).toMatch(/FROM "app"\."keys" WHERE/);
    expect(mysqlTransactions.idempotency('app.keys').exists().values).toEqual(['app', 'keys']);
    expect(mysqlTransactions.idempotency('keys').exists().values).toEqual([null, 'keys']);
    expect(mysqlTransactions.idempotency('keys').purge(1.5, 10).values).toEqual([1500, 10]);
  });

  it.each([
    ['BEGIN', true],
    ['begin work', true],
    ['START TRANSACTION READ ONLY', true],
    ['COMMIT', true],
    ['commit prepared', true],
    ['END', true],
    ['ABORT', true],
    ['ROLLBACK', true],
    ['-- comment\n  ROLLBACK', true],
    ['/* a */ COMMIT', true],
    ['SET autocommit = 0', true],
    ['SET SESSION autocommit=1', true],
    ['XA START 1', true],
    ["PREPARE TRANSACTION 'x'", true],
    ['ROLLBACK TO SAVEPOINT a', false],
    ['rollback work to a', false],
    ['SAVEPOINT a', false],
    ['RELEASE SAVEPOINT a', false],
    ['BEGIN NOT ATOMIC SELECT 1; END', false],
    ['SELECT 1', false],
    ['UPDATE ends SET x = 1', false],
    ['ENDPOINT', false],
  ])('isTransactionControl(%j) is %s', (sql, expected) => {
    expect(isTransactionControl(sql)).toBe(expected);
  });
});
