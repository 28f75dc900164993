import mysql from 'mysql2/promise';
import type { ServerAddress } from './servers';

/** Runs `sql` on its own connection, outside any pool under test (a KILL, a look at the processlist). */
export async function mysqlSideQuery<T = mysql.RowDataPacket[]>(
  server: ServerAddress,
  sql: string,
  values: unknown[] = [],
): Promise<T> {
  const connection = await mysql.createConnection({ ...server, connectTimeout: 5_000 });
  connection.on('error', () => undefined);
  try {
    const [rows] = await connection.query(sql, values);
    return rows as T;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Which of these thread ids still have a session on the server. */
export async function liveThreads(server: ServerAddress, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await mysqlSideQuery<{ id: number }[]>(
    server,
    'SELECT id FROM information_schema.processlist WHERE id IN (?) ORDER BY id',
    [ids],
  );
  return rows.map((row) => Number(row.id));
}
