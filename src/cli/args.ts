import { parseArgs } from 'node:util';

export const USAGE = `Usage: failover-pool status <connection string | host[:port] ...> [options]

Shows the cluster as failover-pool sees it from this machine: each node's role, health, lag,
generation and position, and where writes would go and why.

  <connection string>   postgres://user:pass@db1:5432,db2:5432/shop  or  mysql://user:pass@db1,db2/shop
  <host[:port] ...>     db1:5432 db2:5432 db3:5432 (then --engine, unless the ports say 3306)

Options:
  --engine pg|mysql     the engine, when the target does not say
  --user NAME           default: PGUSER / USER (pg), USER (mysql)
  --database NAME       default: PGDATABASE (pg), none (mysql)
                        the password: from the connection string, else PGPASSWORD (pg) / MYSQL_PWD (mysql)
  --json                one JSON document, for scripts
  --watch               redraw as the cluster changes, with its events as they happen (Ctrl-C ends)
  --interval MS         --watch: how often to redraw (default 1000)
  --timeout MS          how long to wait for every node to answer or fail once (default 5000)

Exit status: 0 when writes have a primary, 2 when they have none, 1 on a usage error.`;

export type Engine = 'pg' | 'mysql';

export interface StatusArgs {
  readonly engine: Engine;
  /** A connection string (as given), or the hosts. */
  readonly target: { readonly connectionString: string } | { readonly hosts: readonly string[] };
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly json: boolean;
  readonly watch: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** A mistake on the command line: the message, then the usage. */
export class UsageError extends Error {}

/** `argv` without node and the script; `env` for the usual client variables. */
export function parseStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv): StatusArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      engine: { type: 'string' },
      user: { type: 'string' },
      database: { type: 'string' },
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1000' },
      timeout: { type: 'string', default: '5000' },
    },
  });
  const [command, ...targets] = positionals;
  if (command !== 'status')
    throw new UsageError(command ? `Unknown command "${command}".` : 'No command given.');
  if (targets.length === 0) throw new UsageError('Give a connection string or the hosts.');
  const connectionString =
    targets.length === 1 && /^[a-z]+:\/\//i.test(targets[0] as string) ? targets[0] : undefined;
  const engine = engineOf(values.engine, connectionString, targets);
  const password = connectionString ? undefined : engine === 'pg' ? env.PGPASSWORD : env.MYSQL_PWD;
  return {
    engine,
    target: connectionString ? { connectionString } : { hosts: targets },
    user:
      values.user ?? (connectionString ? undefined : engine === 'pg' ? (env.PGUSER ?? env.USER) : env.USER),
    password,
    database: values.database ?? (connectionString || engine === 'mysql' ? undefined : env.PGDATABASE),
    json: values.json === true,
    watch: values.watch === true,
    intervalMs: positiveNumber(values.interval, '--interval'),
    timeoutMs: positiveNumber(values.timeout, '--timeout'),
  };
}

function engineOf(
  given: string | undefined,
  connectionString: string | undefined,
  hosts: readonly string[],
): Engine {
  if (given !== undefined) {
    if (given === 'pg' || given === 'postgres' || given === 'postgresql') return 'pg';
    if (given === 'mysql' || given === 'mariadb') return 'mysql';
    throw new UsageError(`--engine takes pg or mysql, not "${given}".`);
  }
  if (connectionString) {
    const scheme = connectionString.slice(0, connectionString.indexOf(':')).toLowerCase();
    if (scheme === 'postgres' || scheme === 'postgresql') return 'pg';
    if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
    throw new UsageError(`The connection string's scheme "${scheme}" is neither postgres:// nor mysql://.`);
  }
  if (hosts.every((host) => host.endsWith(':3306'))) return 'mysql';
  if (hosts.every((host) => /:\d+$/.test(host) && !host.endsWith(':3306'))) return 'pg';
  throw new UsageError('Say which engine the hosts run: --engine pg or --engine mysql.');
}

function positiveNumber(text: string | undefined, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${option} takes a number of milliseconds.`);
  return value;
}
