import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { createMysqlPool } from '../../src/drivers/mysql2';
import { parseStatementCall } from '../../src/drivers/mysql2/call-args';
import { resolveMysqlConfig } from '../../src/drivers/mysql2/options';

/** The option at fault, from a ConfigError thrown by `fn`. */
function optionOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.option;
    throw error;
  }
  return undefined;
}

describe('mysql2 pool options', () => {
  it('takes hosts, a host list, or a URI with several hosts', () => {
    expect(
      resolveMysqlConfig({ hosts: ['db1', 'db2:3307', { host: 'db3', port: 3308 }] }).nodes.map(
        (n) => n.name,
      ),
    ).toEqual(['db1:3306', 'db2:3307', 'db3:3308']);
    expect(resolveMysqlConfig({ host: 'db1, db2:3307', port: 3310 }).nodes.map((n) => n.name)).toEqual([
      'db1:3310',
      'db2:3307',
    ]);
    const fromUri = resolveMysqlConfig({
      uri: 'mysql://app:s%40cret@db1:3306,db2:3307/shop?charset=utf8mb4',
    });
    expect(fromUri.nodes.map((n) => n.name)).toEqual(['db1:3306', 'db2:3307']);
    const node2 = fromUri.perNode(fromUri.nodes[1]!);
    expect(node2.uri).toBe('mysql://app:s%40cret@db2:3307/shop?charset=utf8mb4');
    expect(node2).toMatchObject({ host: 'db2', port: 3307 });
  });

  it('gives every connect a limit: the failover setting unless connectTimeout is set', () => {
    const config = resolveMysqlConfig({ hosts: ['db1'], failover: { connectTimeoutMs: 1234 } });
    expect(config.perNode(config.nodes[0]!).connectTimeout).toBe(1234);
    const own = resolveMysqlConfig({ hosts: ['db1'], connectTimeout: 500 });
    expect(own.perNode(own.nodes[0]!).connectTimeout).toBe(500);
  });

  it('keeps passwords (and a URI holding one) out of logs and JSON, without losing them', () => {
    const config = resolveMysqlConfig({ hosts: ['db1'], password: 'secret', password2: 'second' });
    const node = config.perNode(config.nodes[0]!);
    expect(node.password).toBe('secret');
    expect(node.password2).toBe('second');
    expect(JSON.stringify(node)).not.toContain('secret');
    expect(JSON.stringify(config.shared)).not.toContain('second');
    const withUri = resolveMysqlConfig({ uri: 'mysql://app:secret@db1,db2/shop' });
    expect(JSON.stringify(withUri.perNode(withUri.nodes[0]!))).not.toContain('secret');
    expect(Object.keys(node)).not.toContain('password');
  });

  it.each([
    [{ hosts: [] }, 'hosts'],
    [{ hosts: ['db:99999'] }, 'hosts[0]'],
    [{ hosts: 'db1' }, 'hosts'],
    [{ hosts: ['db1'], host: 'db2' }, 'hosts'],
    [{ host: 'db1', uri: 'mysql://u@db2,db3/x' }, 'host'],
    [{ hosts: ['db1'], connectionLimit: -1 }, 'connectionLimit'],
    [{ hosts: ['db1'], connectionLimit: 1.5 }, 'connectionLimit'],
    [{ hosts: ['db1'], idleTimeout: -5 }, 'idleTimeout'],
    [{ hosts: ['db1'], port: 70000 }, 'port'],
    [{ hosts: ['db1'], socketPath: '/run/mysqld/mysqld.sock' }, 'socketPath'],
    [{ hosts: ['db1'], stream: {} }, 'stream'],
    [{ hosts: ['db1'], monitor: { timeoutMs: -1 } }, 'monitor.timeoutMs'],
    [{ hosts: ['db1'], failover: { waitForPrimary: 5 } }, 'failover.waitForPrimary'],
    [{ hosts: ['db1'], conectionLimit: 5 }, 'conectionLimit'],
    [{ hosts: ['db1'], pool: {} }, 'pool'],
  ])('%j is refused, naming `%s`', (config, option) => {
    expect(optionOf(() => resolveMysqlConfig(config))).toBe(option);
  });

  it('takes what mysql2.createPool takes: a URI string alone, no host (localhost), a port as a string', () => {
    expect(resolveMysqlConfig('mysql://app:pw@db1:3307,db2/shop').nodes.map((n) => n.name)).toEqual([
      'db1:3307',
      'db2:3306',
    ]);
    expect(resolveMysqlConfig({}).nodes.map((n) => n.name)).toEqual(['localhost:3306']);
    expect(resolveMysqlConfig({ host: 'db1', port: '3307' }).nodes.map((n) => n.name)).toEqual(['db1:3307']);
  });

  it('suggests the option a typo meant', () => {
    expect(() => resolveMysqlConfig({ hosts: ['db1'], conectionLimit: 5 })).toThrow(
      /Did you mean `connectionLimit`/,
    );
    expect(() => createMysqlPool({ hosts: [] })).toThrow(ConfigError);
  });
});

describe('mysql2 call forms', () => {
  const callback = () => undefined;

  it('reads (sql), (sql, values), (sql, callback), (sql, values, callback)', () => {
    expect(parseStatementCall('query', ['SELECT 1'])).toMatchObject({
      options: { sql: 'SELECT 1' },
      callback: undefined,
    });
    expect(parseStatementCall('query', ['SELECT ?', [1]])).toMatchObject({
      options: { sql: 'SELECT ?', values: [1] },
    });
    expect(parseStatementCall('query', ['SELECT 1', callback]).callback).toBe(callback);
    const full = parseStatementCall('query', ['INSERT INTO t SET ?', { id: 1 }, callback]);
    expect(full).toMatchObject({
      options: { sql: 'INSERT INTO t SET ?', values: { id: 1 } },
      reRunnable: false,
    });
    expect(full.callback).toBe(callback);
  });

  it('reads options objects, strips the failover flags, and follows mysql2 on which values win', () => {
    const call = parseStatementCall('query', [
      { sql: 'SELECT ?', values: [1], readOnly: true, rowsAsArray: true },
      [2],
    ]);
    expect(call.options).toEqual({ sql: 'SELECT ?', values: [2], rowsAsArray: true });
    expect(call.reRunnable).toBe(true);
    expect(parseStatementCall('execute', [{ sql: 'SELECT ?', values: [1] }, [2]]).options.values).toEqual([
      1,
    ]);
    expect(parseStatementCall('execute', [{ sql: 'SELECT ?' }, [2]]).options.values).toEqual([2]);
    expect(parseStatementCall('query', [{ sql: 'UPDATE t SET x = 5', idempotent: true }]).reRunnable).toBe(
      true,
    );
  });

  it('refuses what mysql2 cannot run, and a flag that is not a boolean', () => {
    expect(() => parseStatementCall('query', [undefined])).toThrow(TypeError);
    expect(() => parseStatementCall('query', [{ values: [1] }])).toThrow(/options object with `sql`/);
    expect(() => parseStatementCall('query', ['SELECT 1', [], 'nope'])).toThrow(/callback/);
    expect(optionOf(() => parseStatementCall('query', [{ sql: 'SELECT 1', idempotent: 'yes' }]))).toBe(
      'query.idempotent',
    );
  });
});
