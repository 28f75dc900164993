/**
 * The three statements the overhead bench runs, written per engine (placeholders differ).
 */
export type OverheadEngine = 'postgres' | 'mysql';

export interface Workload {
  readonly name: string;
  readonly sql: Record<OverheadEngine, string>;
  /** Parameters of call number `n` (unique per run: inserts never collide). */
  params(n: number): unknown[];
}

export const ITEM_ROWS = 10_000;

export const WORKLOADS: readonly Workload[] = [
  { name: 'SELECT 1', sql: { postgres: 'SELECT 1', mysql: 'SELECT 1' }, params: () => [] },
  {
    name: 'point SELECT by PK',
    sql: {
      postgres: 'SELECT id, v FROM items WHERE id = $1',
      mysql: 'SELECT id, v FROM items WHERE id = ?',
    },
    params: (n) => [1 + (n % ITEM_ROWS)],
  },
  {
    name: 'single-row INSERT',
    sql: {
      postgres: 'INSERT INTO events(id, v) VALUES ($1, $2)',
      mysql: 'INSERT INTO events(id, v) VALUES (?, ?)',
    },
    params: (n) => [n, 'x'],
  },
];

/** Tables the workloads need; `items` is filled with ITEM_ROWS rows. */
export const PG_SETUP = [
  'CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)',
  `INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, ${ITEM_ROWS}) g`,
  'CREATE TABLE events (id bigint PRIMARY KEY, v text NOT NULL)',
  'ANALYZE items',
];

/**
 * 1..ITEM_ROWS as a cross join of digit tables: MySQL and MariaDB have no generate_series, and a
 * recursive CTE stops at MySQL's cte_max_recursion_depth (1000) by default.
 */
function numbersSql(): string {
  const digits = Array.from({ length: 10 }, (_, d) => `SELECT ${d} AS d`).join(' UNION ALL ');
  const places = Math.ceil(Math.log10(ITEM_ROWS));
  const tables = Array.from({ length: places }, (_, i) => `(${digits}) AS p${i}`);
  const value = Array.from({ length: places }, (_, i) => `p${i}.d * ${10 ** i}`).join(' + ');
  return `SELECT ${value} + 1 AS n FROM ${tables.join(' CROSS JOIN ')}`;
}

export const MYSQL_SETUP = [
  'CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)',
  `INSERT INTO items (id, v) SELECT n, MD5(n) FROM (${numbersSql()}) AS numbers WHERE n <= ${ITEM_ROWS}`,
  'CREATE TABLE events (id BIGINT PRIMARY KEY, v VARCHAR(32) NOT NULL)',
  'ANALYZE TABLE items',
];
