import pg from 'pg';
import type { ServerAddress } from './servers';

/**
 * Runs `sql` on its own connection, outside any pool under test: what an operator or another
 * session does to the pool's connections (pg_terminate_backend of one of them, say).
 */
export async function sideQuery<R extends pg.QueryResultRow>(
  server: ServerAddress,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ ...server, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The backend pid of a checked-out client. */
export async function backendPid(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]?.pid ?? Number.NaN;
}

/** Terminates a backend the way a DBA does, from another session. */
export const terminate = (server: ServerAddress, pid: number) =>
  sideQuery(server, 'SELECT pg_terminate_backend($1)', [pid]);
