import type pg from 'pg';
import type { SessionAccount } from '../../core/driver';
import { ConfigError } from '../../core/errors';
import { parseHosts, splitHostList, splitUrlHosts, type UrlHosts } from '../../core/hosts';
import {
  POOL_OPTION_KEYS,
  type PoolOptions,
  type ResolvedPoolSettings,
  resolvePoolSettings,
} from '../../core/options';
import type { ResolvedPoolConfig } from '../../core/pool-core';
import { optionalNumber, rejectUnknownKeys, requireObject } from '../../core/validate';
import { postgresDialect } from '../../dialects/postgres/dialect';

/**
 * Everything `new pg.Pool(config)` takes (each field applies to every node's pool), plus the list
 * of nodes and the failover settings.
 */
export interface PgPoolConfig extends Omit<pg.PoolConfig, 'host' | 'port'>, PoolOptions {
  /** May list several hosts: `postgres://app:secret@db1:5432,db2:5432/shop`. */
  connectionString?: string;
}

const PG_CLIENT_KEYS = [
  'user',
  'database',
  'password',
  'port',
  'host',
  'connectionString',
  'keepAlive',
  'stream',
  'statement_timeout',
  'ssl',
  'enableChannelBinding',
  'sslnegotiation',
  'query_timeout',
  'lock_timeout',
  'keepAliveInitialDelayMillis',
  'idle_in_transaction_session_timeout',
  'application_name',
  'fallback_application_name',
  'connectionTimeoutMillis',
  'types',
  'options',
  'client_encoding',
  'pipeline',
  'binary',
  'scramMaxIterations',
];
const PG_POOL_KEYS = [
  'max',
  // pg-pool's older name for max, which it still reads.
  'poolSize',
  // pg's switch for its native bindings (pg-native); false is what pg itself passes around.
  'native',
  'min',
  'idleTimeoutMillis',
  'log',
  'Promise',
  'allowExitOnIdle',
  'maxUses',
  'maxLifetimeSeconds',
  'Client',
  'onConnect',
  'verify',
];
const KNOWN_KEYS = [...POOL_OPTION_KEYS, ...PG_CLIENT_KEYS, ...PG_POOL_KEYS];

/** Options that are durations or counts; a negative value is always a mistake. */
const NON_NEGATIVE_NUMBERS = [
  'connectionTimeoutMillis',
  'idleTimeoutMillis',
  'query_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'keepAliveInitialDelayMillis',
  'maxUses',
  'maxLifetimeSeconds',
  'min',
];

export function resolvePgConfig(
  input: unknown,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPoolConfig<pg.PoolConfig> {
  const config = requireObject(input ?? {}, 'config');
  rejectUnknownKeys(config, KNOWN_KEYS, '');
  checkNumbers(config);

  const {
    hosts,
    host,
    port,
    connectionString,
    failover,
    monitor,
    transactions,
    promotion,
    metrics,
    reads,
    native,
    ...rest
  } = config;
  if (native !== undefined && native !== false) {
    throw new ConfigError(
      'native',
      "pg-native is not supported: failover-pool drives pg's JavaScript client. Leave `native` out.",
    );
  }
  const defaultPort = portOption(port, env);
  const nodes = parseHosts(
    hostList(hosts, host, connectionString, env),
    defaultPort,
    hostsOptionName(hosts, host),
  );
  const shared = hidePassword({ ...(rest as pg.PoolConfig) });
  const urlTemplate = typeof connectionString === 'string' ? splitPgUrl(connectionString) : undefined;

  return {
    nodes,
    shared,
    ...boundedByConnectTimeout(
      resolvePoolSettings({ failover, monitor, transactions, promotion, metrics, reads }),
      config,
    ),
    perNode(node) {
      const options: pg.PoolConfig = { ...shared, host: node.host, port: node.port };
      // pg lets a connection string override host and port, so each node gets its own string.
      if (urlTemplate) options.connectionString = urlTemplate.withHost(node);
      return hidePassword(options, shared.password);
    },
  };
}

/**
 * pg.Pool's `connectionTimeoutMillis` bounds how long a caller waits for a client. Here that wait
 * includes waiting for a primary, so it bounds that too, unless `failover.waitForPrimaryMs` is set.
 */
function boundedByConnectTimeout(
  settings: ResolvedPoolSettings,
  config: Record<string, unknown>,
): ResolvedPoolSettings {
  const limit = config.connectionTimeoutMillis;
  const explicit = (config.failover as { waitForPrimaryMs?: unknown } | undefined)?.waitForPrimaryMs;
  if (typeof limit !== 'number' || limit <= 0 || explicit !== undefined) return settings;
  const failover = {
    ...settings.failover,
    waitForPrimaryMs: limit,
    waitForPrimaryOption: 'connectionTimeoutMillis',
  };
  return { ...settings, failover };
}

function checkNumbers(config: Record<string, unknown>): void {
  for (const key of NON_NEGATIVE_NUMBERS) {
    if (config[key] === null && key === 'idleTimeoutMillis') continue;
    optionalNumber(config[key], key, 0, { min: 0 });
  }
  optionalNumber(config.max, 'max', 10, { min: 1, integer: true });
  const statementTimeout = config.statement_timeout;
  if (statementTimeout !== false) optionalNumber(statementTimeout, 'statement_timeout', 0, { min: 0 });
}

function portOption(port: unknown, env: NodeJS.ProcessEnv): number {
  if (port === undefined && env.PGPORT && /^\d+$/.test(env.PGPORT)) return Number(env.PGPORT);
  // pg takes the port as a string too (as it comes from an environment variable).
  const value = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  return optionalNumber(value, 'port', postgresDialect.defaultPort, { min: 1, max: 65535, integer: true });
}

function hostsOptionName(hosts: unknown, host: unknown): string {
  if (hosts !== undefined) return 'hosts';
  return host !== undefined ? 'host' : 'connectionString';
}

/** Where the node list comes from: `hosts`, `host`, the connection string, or PGHOST, in that order. */
function hostList(
  hosts: unknown,
  host: unknown,
  connectionString: unknown,
  env: NodeJS.ProcessEnv,
): unknown[] {
  const fromUrl = typeof connectionString === 'string' ? splitPgUrl(connectionString).hosts : [];
  if (hosts !== undefined) {
    if (!Array.isArray(hosts))
      throw new ConfigError('hosts', 'expected an array such as ["db1:5432", "db2:5432"].');
    if (host !== undefined) throw new ConfigError('host', 'give either `hosts` or `host`, not both.');
    if (fromUrl.length > 1) {
      throw new ConfigError(
        'connectionString',
        'lists hosts and so does `hosts`; give the nodes in one place only.',
      );
    }
    return hosts;
  }
  if (host !== undefined) {
    if (typeof host !== 'string') throw new ConfigError('host', 'expected a string such as "db1,db2:5433".');
    if (fromUrl.length > 0) {
      throw new ConfigError(
        'host',
        'the connection string names hosts too; give the nodes in one place only.',
      );
    }
    return splitHostList(host);
  }
  if (connectionString !== undefined && typeof connectionString !== 'string') {
    throw new ConfigError('connectionString', 'expected a string such as "postgres://user@db1,db2/shop".');
  }
  if (fromUrl.length > 0) return fromUrl;
  if (env.PGHOST) return splitHostList(env.PGHOST);
  // As pg: no host anywhere means localhost (one node).
  return ['localhost'];
}

/** A PostgreSQL URL may list several hosts: `postgres://u:p@h1:5432,h2:5433/db?x=y`. */
export function splitPgUrl(url: string): UrlHosts {
  return splitUrlHosts(url, 'connectionString', 'postgres://user:password@db1,db2/shop');
}

/**
 * A copy of `base` with `extra` on top that keeps the password: it is not enumerable (so it stays
 * out of logs), which also means a plain object spread would silently drop it.
 */
export function extendConfig<T extends pg.ClientConfig>(base: T, extra: Partial<T>): T {
  return hidePassword({ ...base, ...extra }, base.password) as T;
}

/**
 * `base` logging in as `account` (the promoter's): user and password replaced, in the connection
 * string too when there is one (pg lets the string override the options).
 */
export function withAccount<T extends pg.ClientConfig>(base: T, account: SessionAccount): T {
  const config: T = { ...base, user: account.user, application_name: `failover-pool ${account.purpose}` };
  if (typeof base.connectionString === 'string') {
    try {
      const url = new URL(base.connectionString);
      url.username = encodeURIComponent(account.user);
      url.password = account.password === undefined ? '' : encodeURIComponent(account.password);
      config.connectionString = url.toString();
    } catch {
      // Not a URL (a libpq keyword string): the options alone.
    }
  }
  return hidePassword(config, account.password) as T;
}

/** pg-pool hides the password from logs and stack traces the same way. */
function hidePassword(options: pg.PoolConfig, password = options.password): pg.PoolConfig {
  if (password === undefined) return options;
  Object.defineProperty(options, 'password', {
    value: password,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return options;
}
