import type { ReplicationSource } from '../../core/node-operations';

/**
 * A libpq connection string (`primary_conninfo`) with its host and port replaced, everything else
 * kept (user, password, application_name, SSL settings...): how a standby is pointed at a new
 * primary without knowing the replication account. Both of libpq's forms are understood: keyword =
 * value pairs (`host=db1 port=5432 user=replicator`) and URIs (`postgresql://replicator@db1:5432`).
 */
export function withSource(conninfo: string, source: ReplicationSource): string {
  const text = conninfo.trim();
  if (/^postgres(?:ql)?:\/\//i.test(text)) return uriWithSource(text, source);
  const pairs = parseKeywordValues(text).filter(
    ([key]) => key !== 'host' && key !== 'hostaddr' && key !== 'port',
  );
  pairs.unshift(['host', source.host], ['port', String(source.port)]);
  return pairs.map(([key, value]) => `${key}=${quoteValue(value)}`).join(' ');
}

/** libpq's keyword = value form: values bare or in single quotes, with `\'` and `\\` escapes. */
export function parseKeywordValues(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return pairs;
    const keyStart = i;
    while (i < text.length && /[^\s=]/.test(text[i] as string)) i++;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (text[i] !== '=') throw new Error(`Cannot read the connection string: "${key}" has no value.`);
    i++;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('Cannot read the connection string: an unterminated quote.');
        const c = text[i++] as string;
        if (c === "'") break;
        value += c === '\\' && i < text.length ? (text[i++] as string) : c;
      }
    } else {
      while (i < text.length && /\S/.test(text[i] as string)) {
        const c = text[i++] as string;
        value += c === '\\' && i < text.length ? (text[i++] as string) : c;
      }
    }
    pairs.push([key, value]);
  }
}

function quoteValue(value: string): string {
  return /^[^\s'\\]+$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function uriWithSource(uri: string, source: ReplicationSource): string {
  const match = /^([a-z]+:\/\/)([^/?#]*)(.*)$/i.exec(uri);
  if (!match) throw new Error('Cannot read the connection string URI.');
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userInfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const host = source.host.includes(':') ? `[${source.host}]` : source.host;
  // Without a host in the URI, libpq takes it from `host=` in the query string: drop that too.
  const query = rest.replace(/([?&])(?:host|hostaddr|port)=[^&]*&?/g, '$1').replace(/[?&]$/, '');
  return `${scheme}${userInfo}${host}:${source.port}${query}`;
}
