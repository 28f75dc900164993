import type { Connection } from 'mysql2/promise';
import { closeSession, optionalPeer } from './driver-loading';
import { ADMIN_USER } from './mariadb-config';
import { HOST } from './test-cluster';

export const loadMysql2 = optionalPeer<typeof import('mysql2/promise')>(
  () => import('mysql2/promise'),
  'The MariaDB test cluster needs the `mysql2` package: `npm install -D mysql2`.',
);

export interface MariadbSession {
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

/** The promise connection wraps mysql2's own (`connection`), which keeps its socket on `stream`; untyped. */
function destroySocket(connection: Connection): void {
  const core = (connection as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
  core?.stream?.destroy();
}

/** Runs one statement on the session and returns its rows (or its OK packet as the one row). */
export type SessionRun = <R = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<R[]>;

/**
 * Opens a session on a loopback node (the harness's admin's by default), runs `work`, and always
 * closes it, never waiting on a server that cannot answer.
 */
export async function withMariadbSession<T>(
  session: MariadbSession,
  work: (run: SessionRun) => Promise<T>,
): Promise<T> {
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
  const run: SessionRun = async <R>(sql: string, values?: unknown[]) => {
    const [rows] = await connection.query({ sql, timeout, values });
    return (Array.isArray(rows) ? rows : [rows]) as R[];
  };
  try {
    return await work(run);
  } finally {
    await closeSession(
      () => connection.end(),
      () => destroySocket(connection),
    );
  }
}
