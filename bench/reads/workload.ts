import { ITEM_ROWS, type OverheadEngine, WORKLOADS, type Workload } from '../overhead/workloads';

/** The server's own port, asked in the same statement: which node answered a read. */
const PORT: Record<OverheadEngine, string> = { postgres: 'inet_server_port()', mysql: '@@port' };

/** The overhead bench's indexed point read on `items` (ITEM_ROWS rows), with the answering node's port. */
export const POINT_READ: Workload = {
  name: 'point SELECT by PK',
  sql: {
    postgres: `SELECT id, v, ${PORT.postgres} AS port FROM items WHERE id = $1`,
    mysql: `SELECT id, v, ${PORT.mysql} AS port FROM items WHERE id = ?`,
  },
  params: (n) => [1 + (n % ITEM_ROWS)],
};

const INSERT = WORKLOADS.find((w) => w.name === 'single-row INSERT');
if (!INSERT) throw new Error('bench/overhead/workloads.ts has no "single-row INSERT" workload.');

/** The overhead bench's single-row INSERT into `events`: the write a causal read must then see. */
export const WRITE_SQL = INSERT.sql;

/** Whether the row just written is there (n = 1), and which node said so. */
export const ROW_READ_SQL: Record<OverheadEngine, string> = {
  postgres: `SELECT ${PORT.postgres} AS port, count(*) AS n FROM events WHERE id = $1`,
  mysql: `SELECT ${PORT.mysql} AS port, COUNT(*) AS n FROM events WHERE id = ?`,
};

/** The port in a read's first row (a number on both drivers, whatever the server sent). */
export const portOf = (rows: readonly Record<string, unknown>[]): number => Number(rows[0]?.port);
