import { ConfigError } from './errors';
import type { NodeAddress } from './node';
import { describe } from './validate';

/** A host as users write it: `'db1'`, `'db1:5433'`, `'[::1]:5432'`, or `{ host, port }`. */
export type HostSpec = string | { host: string; port?: number };

/**
 * Turns the configured hosts into node addresses. Order is kept only for display: roles always
 * come from the nodes themselves.
 */
export function parseHosts(hosts: readonly unknown[], defaultPort: number, option = 'hosts'): NodeAddress[] {
  if (hosts.length === 0) {
    throw new ConfigError(
      option,
      'no hosts given. List every node of the cluster, e.g. ["db1:5432", "db2:5432"].',
    );
  }
  const seen = new Set<string>();
  return hosts.map((spec, i) => {
    const where = `${option}[${i}]`;
    const { host, port } = parseOne(spec, defaultPort, where);
    const name = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (seen.has(name)) throw new ConfigError(where, `${name} is listed twice.`);
    seen.add(name);
    return { name, host, port };
  });
}

function parseOne(spec: unknown, defaultPort: number, where: string): { host: string; port: number } {
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    const { host, port, ...rest } = spec as { host?: unknown; port?: unknown };
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw new ConfigError(`${where}.${extra}`, 'unknown option; a host takes `host` and `port`.');
    if (typeof host !== 'string' || host.trim() === '') {
      throw new ConfigError(`${where}.host`, `expected a host name or address, got ${describe(host)}.`);
    }
    return { host: host.trim(), port: checkPort(port ?? defaultPort, `${where}.port`) };
  }
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new ConfigError(where, `expected "host:port" or { host, port }, got ${describe(spec)}.`);
  }
  const text = spec.trim();
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed)
    return { host: bracketed[1] as string, port: portFromText(bracketed[2], defaultPort, where) };
  const colons = text.split(':').length - 1;
  if (colons === 0) return { host: text, port: defaultPort };
  if (colons > 1) return { host: text, port: defaultPort }; // a bare IPv6 address
  const [host, port] = text.split(':') as [string, string];
  if (host === '') throw new ConfigError(where, `missing host name in ${JSON.stringify(text)}.`);
  return { host, port: portFromText(port, defaultPort, where) };
}

function portFromText(text: string | undefined, defaultPort: number, where: string): number {
  if (text === undefined || text === '') return defaultPort;
  if (!/^\d+$/.test(text))
    throw new ConfigError(where, `bad port ${JSON.stringify(text)}: expected 1-65535.`);
  return checkPort(Number(text), where);
}

function checkPort(port: unknown, where: string): number {
  if (typeof port === 'string' && /^\d+$/.test(port)) port = Number(port);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(where, `bad port ${describe(port)}: expected a whole number from 1 to 65535.`);
  }
  return port;
}

/** `'db1, db2:5433'` as libpq and the `host` options take it: one entry per comma, blanks dropped. */
export function splitHostList(text: string): string[] {
  return text
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

/** A URL's hosts, and a way to write the same URL for one of them. */
export interface UrlHosts {
  readonly hosts: string[];
  withHost(node: NodeAddress): string;
}

/**
 * A database URL with a host list (`postgres://u:p@h1:5432,h2:5433/db?x=y`,
 * `mysql://u:p@h1,h2/db`), split into the hosts and a template that puts one host back: the drivers'
 * own parsers take one host only. `example` shows the expected form in the error for `option`.
 */
export function splitUrlHosts(url: string, option: string, example: string): UrlHosts {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) throw new ConfigError(option, `expected a URL such as "${example}".`);
  const [, scheme, authority, tail] = match as unknown as [string, string, string, string];
  // The last '@' ends the credentials: a password may hold one.
  const at = authority.lastIndexOf('@');
  const userInfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostPart = at >= 0 ? authority.slice(at + 1) : authority;
  return {
    hosts: splitHostList(decodeURIComponent(hostPart)),
    withHost: (node) => `${scheme}${userInfo}${node.name}${tail}`,
  };
}
