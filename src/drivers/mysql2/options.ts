import type mysql from 'mysql2';
import type { SessionAccount } from '../../core/driver';
import { ConfigError } from '../../core/errors';
import { parseHosts, splitHostList, splitUrlHosts, type UrlHosts } from '../../core/hosts';
import { POOL_OPTION_KEYS, type PoolOptions, resolvePoolSettings } from '../../core/options';
import type { ResolvedPoolConfig } from '../../core/pool-core';
import { optionalNumber, rejectUnknownKeys, requireObject } from '../../core/validate';
import { mysqlDialect } from '../../dialects/mysql/dialect';

/**
 * Everything `mysql2.createPool(config)` takes (each field applies to every node's pool), plus the
 * list of nodes and the failover settings.
 */
export interface MysqlPoolConfig extends Omit<mysql.PoolOptions, 'host' | 'port'>, PoolOptions {
  /** May list several hosts: `mysql://app:secret@db1:3306,db2:3306/shop`. */
  uri?: string;
}

/** mysql2's own option names (its connection_config.js), less the internal `isServer` and `pool`. */
const MYSQL2_KEYS = [
  'authPlugins',
  'authSwitchHandler',
  'bigNumberStrings',
  'charset',
  'charsetNumber',
  'compress',
  'connectAttributes',
  'connectTimeout',
  'database',
  'dateStrings',
  'debug',
  'decimalNumbers',
  'enableKeepAlive',
  'flags',
  'host',
  'insecureAuth',
  'infileStreamFactory',
  'keepAliveInitialDelay',
  'localAddress',
  'maxPreparedStatements',
  'multipleStatements',
  'namedPlaceholders',
  'nestTables',
  'password',
  'password1',
  'password2',
  'password3',
  'passwordSha1',
  'port',
  'queryFormat',
  'rowsAsArray',
  'socketPath',
  'ssl',
  'stream',
  'stringifyObjects',
  'supportBigNumbers',
  'timezone',
  'trace',
  'typeCast',
  'uri',
  'user',
  'disableEval',
  'enableCleartextPlugin',
  'jsonStrings',
  'gracefulEnd',
  // Not an option of mysql2's pool (mysql2 warns and ignores it), but common in configurations
  // written for mysqljs/mysql: passed on for mysql2 to say so.
  'acquireTimeout',
  'connectionLimit',
  'maxIdle',
  'idleTimeout',
  'Promise',
  'queueLimit',
  'resetOnRelease',
  'waitForConnections',
];
const KNOWN_KEYS = [...POOL_OPTION_KEYS, ...MYSQL2_KEYS];

/** Secrets mysql2 takes (and the URI, which may hold one); kept out of logs and error dumps (not enumerable). */
const SECRET_KEYS = ['password', 'password1', 'password2', 'password3', 'passwordSha1', 'uri'] as const;

export function resolveMysqlConfig(input: unknown): ResolvedPoolConfig<mysql.PoolOptions> {
  // mysql2's createPool also takes a URI string alone.
  const config = typeof input === 'string' ? { uri: input } : requireObject(input ?? {}, 'config');
  rejectUnknownKeys(config, KNOWN_KEYS, '');
  checkOptions(config);

  const { hosts, host, port, uri, failover, monitor, transactions, promotion, metrics, reads, ...rest } =
    config;
  // mysql2 takes the port as a string too.
  const portNumber = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  const defaultPort = optionalNumber(portNumber, 'port', mysqlDialect.defaultPort, {
    min: 1,
    max: 65535,
    integer: true,
  });
  const template =
    typeof uri === 'string' ? splitUrlHosts(uri, 'uri', 'mysql://app:secret@db1,db2/shop') : undefined;
  const nodes = parseHosts(hostList(hosts, host, uri, template), defaultPort, hostsOptionName(hosts, host));
  const settings = resolvePoolSettings({ failover, monitor, transactions, promotion, metrics, reads });
  const shared = hideSecrets({ ...(rest as mysql.PoolOptions) }, config);
  // Each node gets its own URI (perNode); the one listing every host is not for mysql2.
  delete (shared as { uri?: string }).uri;

  return {
    nodes,
    shared,
    ...settings,
    perNode(node) {
      const options: mysql.PoolOptions = {
        ...shared,
        host: node.host,
        port: node.port,
        // mysql2 waits 10 s by default; the failover settings give every connect its limit.
        connectTimeout: shared.connectTimeout ?? settings.failover.connectTimeoutMs,
      };
      // mysql2 lets the URI fill in what the options lack; each node gets a URI with its own host.
      // It may hold the password, so it is hidden as the password is.
      if (template) defineHidden(options, 'uri', template.withHost(node));
      return hideSecrets(options, shared);
    },
  };
}

function checkOptions(config: Record<string, unknown>): void {
  const count = { min: 0, integer: true };
  optionalNumber(config.connectionLimit, 'connectionLimit', 10, count);
  optionalNumber(config.maxIdle, 'maxIdle', 0, count);
  optionalNumber(config.queueLimit, 'queueLimit', 0, count);
  optionalNumber(config.maxPreparedStatements, 'maxPreparedStatements', 16_000, count);
  for (const key of ['idleTimeout', 'connectTimeout', 'keepAliveInitialDelay']) {
    optionalNumber(config[key], key, 0, { min: 0 });
  }
  if (config.socketPath !== undefined) {
    throw new ConfigError(
      'socketPath',
      'a failover pool reaches every node over TCP; list the nodes in `hosts` instead of a socket path.',
    );
  }
  if (config.stream !== undefined && typeof config.stream !== 'function') {
    throw new ConfigError(
      'stream',
      'a fixed stream can carry one connection only; give a function (options) => stream, or leave it out.',
    );
  }
}

function hostsOptionName(hosts: unknown, host: unknown): string {
  if (hosts !== undefined) return 'hosts';
  return host !== undefined ? 'host' : 'uri';
}

/** Where the node list comes from: `hosts`, `host`, or the URI, each exclusive of the others. */
function hostList(hosts: unknown, host: unknown, uri: unknown, template: UrlHosts | undefined): unknown[] {
  if (uri !== undefined && typeof uri !== 'string') {
    throw new ConfigError('uri', 'expected a string such as "mysql://app:secret@db1,db2/shop".');
  }
  const fromUri = template?.hosts ?? [];
  const sources = [hosts !== undefined, host !== undefined, fromUri.length > 0].filter(Boolean).length;
  if (sources > 1) {
    throw new ConfigError(
      hosts !== undefined ? 'hosts' : 'host',
      'the nodes are listed in more than one of `hosts`, `host` and `uri`; give them in one place only.',
    );
  }
  if (hosts !== undefined) {
    if (!Array.isArray(hosts)) {
      throw new ConfigError('hosts', 'expected an array such as ["db1:3306", "db2:3306"].');
    }
    return hosts;
  }
  if (host !== undefined) {
    if (typeof host !== 'string') throw new ConfigError('host', 'expected a string such as "db1,db2:3307".');
    return splitHostList(host);
  }
  if (fromUri.length > 0) return fromUri;
  // As mysql2: no host anywhere means localhost (one node).
  return ['localhost'];
}

/**
 * `base` logging in as `account` (the promoter's): user and password replaced (in the URI too,
 * which mysql2 lets fill in the options), no default database (such an account needs none, and may
 * have no right to the app's).
 */
export function withAccount(base: mysql.ConnectionOptions, account: SessionAccount): mysql.ConnectionOptions {
  const options: mysql.ConnectionOptions = { ...base, user: account.user, database: undefined };
  if (typeof base.uri === 'string') {
    try {
      const url = new URL(base.uri);
      url.username = encodeURIComponent(account.user);
      url.password = account.password === undefined ? '' : encodeURIComponent(account.password);
      url.pathname = '/';
      options.uri = url.toString();
    } catch {
      // Not a URL: the options alone.
    }
  }
  return hideSecrets({ ...options, password: account.password }, { password: account.password });
}

/**
 * Makes every secret of `source` a non-enumerable property of `target`: it stays out of logs and
 * JSON dumps, and a later object spread cannot silently drop it (it is copied here explicitly).
 */
export function hideSecrets<T extends object>(target: T, source: object): T {
  for (const key of SECRET_KEYS) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) defineHidden(target, key, value);
  }
  return target;
}

function defineHidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}
