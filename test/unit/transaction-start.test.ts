import { describe, expect, it } from 'vitest';
import { changesData, wantsExactlyOnce } from '../../src/core/query-flags';
import { onlyStartsTransaction } from '../../src/core/transaction-start';
import {
  parseStatementCall,
  refuseExactlyOnce as refuseMysqlExactlyOnce,
} from '../../src/drivers/mysql2/call-args';
import { parseQueryCall, refuseExactlyOnce as refusePgExactlyOnce } from '../../src/drivers/pg/query-args';

describe('onlyStartsTransaction', () => {
  it.each([
    'BEGIN',
    'begin',
    '  BEGIN;  ',
    'BEGIN TRANSACTION',
    'BEGIN WORK',
    'begin isolation level serializable, read only, deferrable',
    'BEGIN ISOLATION LEVEL REPEATABLE READ',
    'START TRANSACTION',
    'start transaction read write',
    'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
  ])('%s opens a transaction and applies nothing', (sql) => {
    expect(onlyStartsTransaction(sql)).toBe(true);
  });

  it.each([
    'BEGIN; INSERT INTO t VALUES (1)',
    'BEGIN NOT ATOMIC INSERT INTO t VALUES (1); END',
    'BEGINNING',
    'START SLAVE',
    'SELECT 1',
    'INSERT INTO begin VALUES (1)',
    `BEGIN ${'READ ONLY '.repeat(20)}`,
    '',
  ])('%s is something else', (sql) => {
    expect(onlyStartsTransaction(sql)).toBe(false);
  });

  it('makes a lost BEGIN re-runnable in both drivers, text or options object', () => {
    expect(parseQueryCall('BEGIN').reRunnable).toBe(true);
    expect(parseQueryCall({ text: 'begin isolation level serializable' }).reRunnable).toBe(true);
    expect(parseQueryCall('INSERT INTO t VALUES (1)').reRunnable).toBe(false);
    expect(parseStatementCall('query', ['START TRANSACTION']).reRunnable).toBe(true);
    expect(parseStatementCall('execute', [{ sql: 'BEGIN' }]).reRunnable).toBe(true);
    expect(parseStatementCall('query', ['UPDATE t SET x = 1']).reRunnable).toBe(false);
  });
});

describe('exactlyOnce: which statements the pool-wide default covers', () => {
  it('data-changing statements, past comments and a WITH', () => {
    for (const sql of [
      'INSERT INTO t VALUES (1)',
      '  update t set a = 1',
      '/* checkout */ DELETE FROM carts',
      '-- why\nREPLACE INTO t VALUES (1)',
      'WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x',
      'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
    ])
      expect(changesData(sql), sql).toBe(true);
    for (const sql of [
      'SELECT 1',
      'WITH x AS (SELECT 1) SELECT * FROM x',
      'CREATE TABLE t (a int)',
      'SET x = 1',
      '',
    ])
      expect(changesData(sql), sql).toBe(false);
  });

  it("the statement's own flag wins; the default only covers writes; a flag that is not a boolean is an error", () => {
    expect(wantsExactlyOnce(true, false, 'SELECT 1')).toBe(true);
    expect(wantsExactlyOnce(false, true, 'INSERT INTO t VALUES (1)')).toBe(false);
    expect(wantsExactlyOnce(undefined, true, 'INSERT INTO t VALUES (1)')).toBe(true);
    expect(wantsExactlyOnce(undefined, true, 'SELECT 1')).toBe(false);
    expect(wantsExactlyOnce(undefined, false, 'INSERT INTO t VALUES (1)')).toBe(false);
    expect(() => wantsExactlyOnce('yes', false, 'INSERT INTO t VALUES (1)')).toThrow(/query\.exactlyOnce/);
  });
});

describe("exactlyOnce in the drivers' call parsing", () => {
  it('pg: the flag, the pool default for writes, and a ConfigError where it does not apply', () => {
    expect(parseQueryCall({ text: 'INSERT INTO t VALUES (1)', exactlyOnce: true }).exactlyOnce).toBe(true);
    expect(parseQueryCall('INSERT INTO t VALUES (1)', undefined, undefined, true).exactlyOnce).toBe(true);
    expect(parseQueryCall('SELECT 1', undefined, undefined, true).exactlyOnce).toBe(false);
    expect(
      parseQueryCall({ text: 'UPDATE t SET a = 1', readOnly: true }, undefined, undefined, true).exactlyOnce,
    ).toBe(false);
    const call = parseQueryCall({ text: 'INSERT INTO t VALUES (1)', exactlyOnce: true });
    expect('exactlyOnce' in call.config).toBe(false);
    expect(() => refusePgExactlyOnce(call, 'a checked-out client')).toThrow(/pool\.transaction/);
  });

  it('mysql2: the same for query and execute', () => {
    const call = parseStatementCall('execute', [{ sql: 'DELETE FROM t', exactlyOnce: true }]);
    expect(call.exactlyOnce).toBe(true);
    expect('exactlyOnce' in call.options).toBe(false);
    expect(parseStatementCall('query', ['REPLACE INTO t VALUES (1)'], true).exactlyOnce).toBe(true);
    expect(
      parseStatementCall('query', [{ sql: 'INSERT INTO t VALUES (1)', exactlyOnce: false }], true)
        .exactlyOnce,
    ).toBe(false);
    expect(() => refuseMysqlExactlyOnce(call, 'a connection')).toThrow(/query\.exactlyOnce/);
  });
});
