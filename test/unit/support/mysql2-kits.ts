import type mysql from 'mysql2';
import { expect } from 'vitest';
import {
  createMysqlPool,
  createMysqlPromisePool,
  type FailoverMysqlPool,
} from '../../../src/drivers/mysql2/index';
import { FailoverPoolError } from '../../../src/index';
import { type DriverKit, kitPool, poolOptions, type StatementFlags, started, valuesFor } from './driver-kit';
import { FakeMysqlServer, type MysqlError } from './fake-mysql-server';

/** `query` formats the values into the text client-side; `execute` prepares the statement on the server. */
export type StatementKind = 'query' | 'execute';

type Callback = (error: Error | null) => void;
/** mysql2's callback form of query/execute, as the pool and its connections have it. */
type CallbackStatement = (
  options: mysql.QueryOptions & StatementFlags,
  values: unknown[],
  cb: Callback,
) => unknown;
/** mysql2/promise's form. */
type PromiseStatement = (options: mysql.QueryOptions & StatementFlags, values: unknown[]) => Promise<unknown>;

function callbackRun(statement: CallbackStatement) {
  return (sql: string, flags: StatementFlags = {}) =>
    new Promise<void>((resolve, reject) =>
      statement({ sql, ...flags }, valuesFor(sql), (error) => (error ? reject(error) : resolve())),
    );
}

function promiseRun(statement: PromiseStatement) {
  return async (sql: string, flags: StatementFlags = {}) => {
    await statement({ sql, ...flags }, valuesFor(sql));
  };
}

/** mysql2's callback pool (`createMysqlPool`), running statements with `kind`. */
function createCallbackPool(nodes: readonly { name: string }[], kind: StatementKind) {
  const pool = createMysqlPool(poolOptions(nodes));
  const statementOf = (target: FailoverMysqlPool | mysql.PoolConnection) =>
    target[kind].bind(target) as unknown as CallbackStatement;
  return kitPool(pool, () => new Promise<void>((resolve) => pool.end(() => resolve())), {
    run: callbackRun(statementOf(pool)),
    pin: () =>
      new Promise((resolve, reject) =>
        pool.getConnection((error, connection) => {
          if (error) return reject(error);
          resolve({ run: callbackRun(statementOf(connection)), release: () => connection.release() });
        }),
      ),
    transaction: (fn) =>
      pool.promise().transaction((tx) => fn({ run: promiseRun(tx[kind].bind(tx) as PromiseStatement) })),
    primary: () => pool.topology().primary,
  });
}

/** mysql2/promise's pool (`createMysqlPromisePool`), running statements with `kind`. */
function createPromisePool(nodes: readonly { name: string }[], kind: StatementKind) {
  const pool = createMysqlPromisePool(poolOptions(nodes));
  const statementOf = (target: { query: unknown; execute: unknown }) =>
    (target[kind] as PromiseStatement).bind(target);
  return kitPool(pool, () => pool.end(), {
    run: promiseRun(statementOf(pool)),
    async pin() {
      const connection = await pool.getConnection();
      return { run: promiseRun(statementOf(connection)), release: () => connection.release() };
    },
    transaction: (fn) => pool.transaction((tx) => fn({ run: promiseRun(statementOf(tx)) })),
    primary: () => pool.topology().primary,
  });
}

const READ_ONLY_OPTION = {
  errno: 1290,
  sqlState: 'HY000',
  message: 'The MySQL server is running with the --read-only option so it cannot execute this statement',
};

function mysqlKit(name: string, createPool: DriverKit<MysqlError>['createPool']): DriverKit<MysqlError> {
  return {
    name,
    startNode: (role) => started(new FakeMysqlServer(role)),
    createPool,
    uniqueViolation: { errno: 1062, sqlState: '23000', message: "Duplicate entry '1' for key 'PRIMARY'" },
    expectUniqueViolation(error) {
      expect(error).not.toBeInstanceOf(FailoverPoolError);
      expect(error).toMatchObject({
        errno: 1062,
        code: 'ER_DUP_ENTRY',
        sqlState: '23000',
        message: "Duplicate entry '1' for key 'PRIMARY'",
      });
    },
    readOnlyRejections: [
      { name: '1290 (read_only)', error: READ_ONLY_OPTION },
      {
        name: '1836 (read-only mode)',
        error: { errno: 1836, sqlState: 'HY000', message: 'Running in read-only mode' },
      },
    ],
    newConnectionCheck: /^SELECT @@global\.read_only AS read_only$/,
    closesAbandonedConnects: true,
  };
}

export const mysqlKits = {
  callbackQuery: mysqlKit('mysql2 callback pool, query()', (nodes) => createCallbackPool(nodes, 'query')),
  callbackExecute: mysqlKit('mysql2 callback pool, execute()', (nodes) =>
    createCallbackPool(nodes, 'execute'),
  ),
  promiseQuery: mysqlKit('mysql2 promise pool, query()', (nodes) => createPromisePool(nodes, 'query')),
  promiseExecute: mysqlKit('mysql2 promise pool, execute()', (nodes) => createPromisePool(nodes, 'execute')),
};
