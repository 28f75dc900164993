import { describe, expect, it } from 'vitest';
import { sessionStatementKind } from '../../src/core/session-statement';
import { mergeModuleOptions } from '../../src/drivers/module-options';

describe('sessionStatementKind', () => {
  it.each([
    ['BEGIN', 'begin'],
    ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE;', 'begin'],
    ['COMMIT', 'commit'],
    ['commit;', 'commit'],
    ['END TRANSACTION', 'commit'],
    ['ROLLBACK', 'rollback'],
    ['abort', 'rollback'],
    ["SET TIME ZONE 'UTC'", 'setting'],
    // Sequelize's session settings on a new PostgreSQL connection, in one text.
    ["SET standard_conforming_strings=on;SET client_min_messages TO warning;SET TIME ZONE 'UTC';", 'setting'],
    ["SET time_zone = '+00:00'", 'setting'],
    ['SET NAMES utf8mb4', 'setting'],
    ['SET SESSION sql_mode = ""', 'setting'],
    ['SET @cart = 12', 'setting'],
  ] as const)('%s: %s', (sql, kind) => {
    expect(sessionStatementKind(sql)).toBe(kind);
  });

  it.each([
    'ROLLBACK TO SAVEPOINT s1',
    'ROLLBACK TO s1',
    'COMMIT AND CHAIN',
    'SET LOCAL statement_timeout = 100',
    'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    'SET GLOBAL read_only = 1',
    'SET @@GLOBAL.read_only = 1',
    'SET CONSTRAINTS ALL DEFERRED',
    'SET a = 1; INSERT INTO t VALUES (1)',
    "SET x = 'a;b'",
    'BEGIN; INSERT INTO t VALUES (1); COMMIT',
    'INSERT INTO settings VALUES (1)',
    'COMMITTED',
  ])('%s is something else', (sql) => {
    expect(sessionStatementKind(sql)).toBe('other');
  });

  it('is other for an unknown text', () => {
    expect(sessionStatementKind(undefined)).toBe('other');
  });
});

describe('mergeModuleOptions', () => {
  const keys = { nodes: ['hosts', 'host', 'port', 'connectionString'], url: 'connectionString' };

  it("drops the ORM's host and port when the module's config lists the nodes", () => {
    const merged = mergeModuleOptions(
      { host: 'localhost', port: 5432, user: 'app', password: 'orm', database: 'shop', ssl: undefined },
      { hosts: ['db1:5432', 'db2:5432'], password: 'module' },
      keys,
    );
    expect(merged).toEqual({
      user: 'app',
      database: 'shop',
      hosts: ['db1:5432', 'db2:5432'],
      password: 'module',
    });
  });

  it("keeps the ORM's host list when the config lists none", () => {
    expect(mergeModuleOptions({ host: 'db1,db2:5433', user: 'app' }, { failover: {} }, keys)).toEqual({
      host: 'db1,db2:5433',
      user: 'app',
      failover: {},
    });
  });

  it("takes a bare string as the driver's connection string", () => {
    expect(mergeModuleOptions('postgres://app@db1,db2/shop', {}, keys)).toEqual({
      connectionString: 'postgres://app@db1,db2/shop',
    });
    expect(mergeModuleOptions('postgres://app@localhost/shop', { hosts: ['db1'] }, keys)).toEqual({
      hosts: ['db1'],
    });
  });
});
