import type mysql from 'mysql2';
import { ConfigError } from '../../core/errors';
import { type HostSpec, parseHosts } from '../../core/hosts';
import type { NodeAddress } from '../../core/node';
import {
  type FailoverOptions,
  type MonitorOptions,
  type ResolvedFailoverOptions,
  type ResolvedMonitorOptions,
  resolveFailoverOptions,
  resolveMonitorOptions,
} from '../../core/options';
import {
  type ResolvedTransactionsOptions,
  resolveTransactionsOptions,
  type TransactionsOptions,
} from '../../core/transaction-options';
import { optionalNumber, rejectUnknownKeys, requireObject } from '../../core/validate';
import { mysqlDialect } from '../../dialects/mysql';

/**
 * Everything `mysql2.createPool(config)` takes (each field applies to every node's pool), plus the
 * list of nodes and the failover settings.
 */
export interface MysqlPoolConfig extends Omit<mysql.PoolOptions, 'host' | 'port'> {
  /** Every node of the cluster, in any order: `'db1:3306'`, `{ host, port }`. */
  hosts?: HostSpec[];
  /** A single host, or several separated by commas (`'db1,db2:3307'`). */
  host?: string;
  /** Default port for hosts given without one. */
  port?: number;
  /** May list several hosts: `mysql://app:secret@db1:3306,db2:3306/shop`. */
  uri?: string;
  failover?: FailoverOptions;
  monitor?: MonitorOptions;
  /** Defaults for `pool.transaction()`: the idempotency table, attempts. */
  transactions?: TransactionsOptions;
}

export interface ResolvedMysqlConfig {
  readonly nodes: readonly NodeAddress[];
  /** The mysql2 options every node shares (no host, port or uri; passwords not enumerable). */
  readonly shared: mysql.PoolOptions;
  readonly failover: ResolvedFailoverOptions;
  readonly monitor: ResolvedMonitorOptions;
  readonly transactions: ResolvedTransactionsOptions;
  /** The options of one node's mysql2 pool. */
  perNode(node: NodeAddress): mysql.PoolOptions;
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
  'connectionLimit',
  'maxIdle',
  'idleTimeout',
  'Promise',
  'queueLimit',
  'resetOnRelease',
  'waitForConnections',
];
const KNOWN_KEYS = ['hosts', 'failover', 'monitor', 'transactions', ...MYSQL2_KEYS];

/** Secrets mysql2 takes; kept out of logs and error dumps (not enumerable). */
const SECRET_KEYS = ['password', 'password1', 'password2', 'password3', 'passwordSha1'] as const;

export function resolveMysqlConfig(input: unknown): ResolvedMysqlConfig {
  const config = requireObject(input ?? {}, 'config');
  rejectUnknownKeys(config, KNOWN_KEYS, '');
  checkOptions(config);

  const { hosts, host, port, uri, failover, monitor, transactions, ...rest } = config;
  const defaultPort = optionalNumber(port, 'port', mysqlDialect.defaultPort, {
    min: 1,
    max: 65535,
    integer: true,
  });
  const template = typeof uri === 'string' ? splitUri(uri) : undefined;
  const nodes = parseHosts(hostList(hosts, host, uri, template), defaultPort, hostsOptionName(hosts, host));
  const failoverOptions = resolveFailoverOptions(failover);
  const shared = hideSecrets({ ...(rest as mysql.PoolOptions) }, config);

  return {
    nodes,
    shared,
    failover: failoverOptions,
    monitor: resolveMonitorOptions(monitor),
    transactions: resolveTransactionsOptions(transactions),
    perNode(node) {
      const options: mysql.PoolOptions = {
        ...shared,
        host: node.host,
        port: node.port,
        // mysql2 waits 10 s by default; the failover settings give every connect its limit.
        connectTimeout: shared.connectTimeout ?? failoverOptions.connectTimeoutMs,
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
function hostList(hosts: unknown, host: unknown, uri: unknown, template: UriTemplate | undefined): unknown[] {
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
    return splitList(host);
  }
  if (fromUri.length > 0) return fromUri;
  throw new ConfigError(
    'hosts',
    'no hosts given. List every node of the cluster: hosts: ["db1:3306", "db2:3306", "db3:3306"].',
  );
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

interface UriTemplate {
  readonly hosts: string[];
  withHost(node: NodeAddress): string;
}

/** `mysql://u:p@h1:3306,h2:3307/db?x=y`: the hosts, and the same URI with one host put back. */
function splitUri(uri: string): UriTemplate {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/i.exec(uri);
  if (!match) throw new ConfigError('uri', 'expected a URI such as "mysql://app:secret@db1,db2/shop".');
  const [, scheme, userInfo, hostPart, tail] = match as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
  ];
  const credentials = userInfo === undefined ? '' : `${userInfo}@`;
  return {
    hosts: splitList(decodeURIComponent(hostPart)),
    withHost: (node) => `${scheme}${credentials}${node.name}${tail}`,
  };
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
