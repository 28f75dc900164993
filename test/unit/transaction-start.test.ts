import { describe, expect, it } from 'vitest';
import { onlyStartsTransaction } from '../../src/core/transaction-start';
import { parseStatementCall } from '../../src/drivers/mysql2/call-args';
import { parseQueryCall } from '../../src/drivers/pg/query-args';

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
