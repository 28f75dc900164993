import type { Connection } from 'mysql2/promise';
import { ADMIN_USER, HOST } from './mariadb-config';

type Mysql2Promise = typeof import('mysql2/promise');

let mysql2: Promise<Mysql2Promise> | undefined;

/** `mysql2` is an optional peer dependency: loaded on first use, with a clear error when it is missing. */
export function loadMysql2(): Promise<Mysql2Promise> {
  mysql2 ??= import('mysql2/promise').then(
    // mysql2 is CommonJS: under ESM its exports arrive as the default export, under CommonJS directly.
    (loaded) => (loaded as unknown as { default?: Mysql2Promise }).default ?? loaded,
    (error: unknown) => {
      mysql2 = undefined;
      throw new Error('The MariaDB test cluster needs the `mysql2` package: `npm install -D mysql2`.', {
        cause: error,
      });
    },
  );
  return mysql2;
}

export interface AdminSession {
  port: number;
  password: string;
  /** Until the server has authenticated us (default 5000). */
  connectTimeoutMs?: number;
  /** Per statement, measured by the client; the connection is dropped when it runs out (default 30000). */
  queryTimeoutMs?: number;
  database?: string;
  /** Another account than the harness's own (the app's, to check what it may do). */
  user?: string;
}

const END_GRACE_MS = 500;

/** The promise connection wraps mysql2's own (`connection`), which keeps its socket on `stream`; untyped. */
function destroySocket(connection: Connection): void {
  const core = (connection as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
  core?.stream?.destroy();
}

/** Runs one statement on an admin session and returns its rows (or its OK packet as the one row). */
export type AdminRun = <R = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<R[]>;

/**
 * Opens a session as the harness's admin on a loopback node, runs `work`, and always closes it,
 * never waiting on a server that cannot answer (a SIGSTOPped one would keep `end()` pending forever).
 */
export async function withAdmin<T>(session: AdminSession, work: (run: AdminRun) => Promise<T>): Promise<T> {
  const mysql = await loadMysql2();
  const connection = await mysql.createConnection({
    host: HOST,
    port: session.port,
    user: session.user ?? ADMIN_USER,
    password: session.password,
    database: session.database,
    connectTimeout: session.connectTimeoutMs ?? 5_000,
    // A BIGINT beyond 2^53 comes back as an exact string rather than a rounded number.
    supportBigNumbers: true,
  });
  // A server that dies under an open session emits 'error' on the connection; unheard, it would crash
  // the process. The failure itself reaches the caller through the rejected statement.
  connection.on('error', () => undefined);
  const timeout = session.queryTimeoutMs ?? 30_000;
  const run: AdminRun = async <R>(sql: string, values?: unknown[]) => {
    const [rows] = await connection.query({ sql, timeout, values });
    return (Array.isArray(rows) ? rows : [rows]) as R[];
  };
  try {
    return await work(run);
  } finally {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.end().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, END_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    destroySocket(connection);
  }
}
