import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { parseHosts } from '../../src/core/hosts';
import { resolveFailoverOptions, resolveMonitorOptions } from '../../src/core/options';
import { extendConfig, resolvePgConfig, splitPgUrl } from '../../src/drivers/pg/options';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('hosts', () => {
  it('parses the forms users write', () => {
    expect(parseHosts(['db1', 'db2:5433', '[::1]:6000', { host: 'db4', port: 7000 }, '::1'], 5432)).toEqual([
      { name: 'db1:5432', host: 'db1', port: 5432 },
      { name: 'db2:5433', host: 'db2', port: 5433 },
      { name: '[::1]:6000', host: '::1', port: 6000 },
      { name: 'db4:7000', host: 'db4', port: 7000 },
      { name: '[::1]:5432', host: '::1', port: 5432 },
    ]);
  });

  it.each([
    [[], 'hosts', 'no hosts'],
    [['db1:0'], 'hosts[0]', 'bad port'],
    [['db1:70000'], 'hosts[0]', 'bad port'],
    [['db1:abc'], 'hosts[0]', 'bad port'],
    [['db1', 'db1:5432'], 'hosts[1]', 'listed twice'],
    [[42], 'hosts[0]', 'expected "host:port"'],
    [[{ host: 'db1', prot: 1 }], 'hosts[0].prot', 'unknown option'],
    [[{ host: '' }], 'hosts[0].host', 'expected a host'],
  ])('rejects %j naming %s', (hosts, option, text) => {
    const error = configError(() => parseHosts(hosts, 5432));
    expect(error.option).toBe(option);
    expect(error.message).toContain(text);
    expect(error.code).toBe('CONFIG');
  });
});

describe('failover and monitor options', () => {
  it('has documented defaults', () => {
    expect(resolveFailoverOptions(undefined)).toMatchObject({
      waitForPrimaryMs: 30_000,
      maxWaiting: 10_000,
      maxAttempts: 10,
    });
    expect(resolveMonitorOptions(undefined)).toEqual({
      intervalMs: 1000,
      timeoutMs: 1000,
      fastIntervalMs: 50,
      settleMs: 3000,
    });
    expect(resolveMonitorOptions({ intervalMs: 20 }).fastIntervalMs).toBe(20);
  });

  it('suggests the option a typo meant', () => {
    const error = configError(() => resolveFailoverOptions({ waitForPrimaryMS: 5 }));
    expect(error.option).toBe('failover.waitForPrimaryMS');
    expect(error.message).toContain('Did you mean `failover.waitForPrimaryMs`?');
  });

  it.each([
    [() => resolveFailoverOptions({ waitForPrimaryMs: -1 }), 'failover.waitForPrimaryMs', 'at least 0'],
    [() => resolveFailoverOptions({ maxAttempts: 0 }), 'failover.maxAttempts', 'at least 1'],
    [() => resolveFailoverOptions({ maxWaiting: 1.5 }), 'failover.maxWaiting', 'whole number'],
    [() => resolveFailoverOptions({ retryDelayMs: 5 }), 'failover.retryDelayMs', 'function'],
    [() => resolveFailoverOptions({ waitForPrimaryMs: Number.NaN }), 'failover.waitForPrimaryMs', 'finite'],
    [() => resolveMonitorOptions({ timeoutMs: 0 }), 'monitor.timeoutMs', 'greater than 0'],
    [() => resolveMonitorOptions({ intervalMs: '1s' }), 'monitor.intervalMs', 'finite number'],
    [
      () => resolveMonitorOptions({ fastIntervalMs: 500, intervalMs: 100 }),
      'monitor.fastIntervalMs',
      'must not exceed',
    ],
    [() => resolveMonitorOptions([]), 'monitor', 'expected an object'],
  ])('rejects a bad value (%#)', (fn, option, text) => {
    const error = configError(fn);
    expect(error.option).toBe(option);
    expect(error.message).toContain(text);
  });
});

describe('pg config', () => {
  const noEnv = {};

  it('takes the pg.Pool options every node shares, and the nodes', () => {
    const config = resolvePgConfig(
      { hosts: ['db1:5432', 'db2'], user: 'app', password: 'secret', database: 'shop', max: 20, port: 6432 },
      noEnv,
    );
    expect(config.nodes.map((n) => n.name)).toEqual(['db1:5432', 'db2:6432']);
    const perNode = config.perNode(config.nodes[1]!);
    expect(perNode).toMatchObject({ host: 'db2', port: 6432, user: 'app', database: 'shop', max: 20 });
    expect(perNode.password).toBe('secret');
    expect(JSON.stringify(perNode)).not.toContain('secret');
    expect(Object.keys(config.shared)).not.toContain('password');
  });

  it('reads several hosts from a connection string and gives each node its own', () => {
    const config = resolvePgConfig(
      { connectionString: 'postgres://app:s%40cret@db1:5432,db2:5433/shop?sslmode=disable' },
      noEnv,
    );
    expect(config.nodes.map((n) => n.name)).toEqual(['db1:5432', 'db2:5433']);
    expect(config.perNode(config.nodes[1]!).connectionString).toBe(
      'postgres://app:s%40cret@db2:5433/shop?sslmode=disable',
    );
    expect(splitPgUrl('postgresql://db1/shop').hosts).toEqual(['db1']);
  });

  it('takes a libpq-style host list, and PGHOST as the last resort', () => {
    expect(resolvePgConfig({ host: 'db1, db2:5433' }, noEnv).nodes.map((n) => n.name)).toEqual([
      'db1:5432',
      'db2:5433',
    ]);
    expect(resolvePgConfig({}, { PGHOST: 'db9', PGPORT: '6000' }).nodes.map((n) => n.name)).toEqual([
      'db9:6000',
    ]);
  });

  it('takes what pg.Pool takes: no host at all (localhost), a port as a string, poolSize, native: false', () => {
    expect(resolvePgConfig({}, noEnv).nodes.map((n) => n.name)).toEqual(['localhost:5432']);
    expect(resolvePgConfig({ host: 'db1', port: '5433' }, noEnv).nodes.map((n) => n.name)).toEqual([
      'db1:5433',
    ]);
    expect(resolvePgConfig({ hosts: ['db1'], poolSize: 3, native: false }, noEnv).shared).toMatchObject({
      poolSize: 3,
    });
    expect(configError(() => resolvePgConfig({ hosts: ['db1'], native: true }, noEnv)).option).toBe('native');
  });

  it('bounds the wait for a primary by connectionTimeoutMillis, unless failover.waitForPrimaryMs is set', () => {
    const bounded = resolvePgConfig({ hosts: ['db1'], connectionTimeoutMillis: 2000 }, noEnv).failover;
    expect(bounded).toMatchObject({
      waitForPrimaryMs: 2000,
      waitForPrimaryOption: 'connectionTimeoutMillis',
    });
    const explicit = resolvePgConfig(
      { hosts: ['db1'], connectionTimeoutMillis: 2000, failover: { waitForPrimaryMs: 9000 } },
      noEnv,
    ).failover;
    expect(explicit).toMatchObject({
      waitForPrimaryMs: 9000,
      waitForPrimaryOption: 'failover.waitForPrimaryMs',
    });
  });

  it.each([
    [{ hosts: [] }, 'hosts', 'no hosts'],
    [{ hosts: 'db1' }, 'hosts', 'expected an array'],
    [{ hosts: ['db1'], host: 'db2' }, 'host', 'not both'],
    [{ hosts: ['db1'], connectionString: 'postgres://u@a,b/db' }, 'connectionString', 'one place'],
    [{ hosts: ['db1'], max: 0 }, 'max', 'at least 1'],
    [{ hosts: ['db1'], connectionTimeoutMillis: -5 }, 'connectionTimeoutMillis', 'at least 0'],
    [{ hosts: ['db1'], query_timeout: -1 }, 'query_timeout', 'at least 0'],
    [{ hosts: ['db1'], idleTimeoutMilis: 1 }, 'idleTimeoutMilis', 'Did you mean `idleTimeoutMillis`'],
    [{ hosts: ['db1'], monitor: { intervalMs: -1 } }, 'monitor.intervalMs', 'greater than 0'],
    [{ hosts: ['db1'], connectionString: 'not a url' }, 'connectionString', 'expected a URL'],
  ])('rejects %j naming %s', (config, option, text) => {
    const error = configError(() => resolvePgConfig(config, noEnv));
    expect(error.option).toBe(option);
    expect(error.message).toContain(text);
  });

  it('keeps the hidden password through every copy of the options', () => {
    const config = resolvePgConfig({ hosts: ['db1'], password: 'pw' }, noEnv);
    const copy = extendConfig(config.perNode(config.nodes[0]!), { application_name: 'monitor' });
    expect(copy.password).toBe('pw');
    expect(copy.application_name).toBe('monitor');
    expect(Object.keys(copy)).not.toContain('password');
  });

  it('never puts the password in an error message', () => {
    const error = configError(() => resolvePgConfig({ hosts: [], password: 'hunter2' }, noEnv));
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });
});
