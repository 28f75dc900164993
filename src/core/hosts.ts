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
