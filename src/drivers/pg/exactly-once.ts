import type pg from 'pg';

/**
 * What an exactly-once statement (`exactlyOnce: true`) stores with its idempotency key: enough to
 * answer its caller when the COMMIT's connection died and the key is found on the new primary.
 * The live result is not stored whole: its parsers and field descriptions are the driver's own.
 */
interface StoredPgResult {
  readonly command: string;
  readonly rowCount: number | null;
  readonly rows: unknown[];
}

export function summarizePgResult(result: pg.QueryResult): StoredPgResult {
  return { command: result.command, rowCount: result.rowCount, rows: result.rows };
}

/**
 * The caller's result for a statement that committed on a connection that then died: command,
 * rowCount and rows as they were, rebuilt from JSON (a `RETURNING` row's dates are ISO strings
 * there, a bytea a `{ type: 'Buffer', data }` object), no field descriptions, and `resolved: true`.
 */
export function pgResultFromStored(value: unknown): pg.QueryResult {
  const stored = value as StoredPgResult;
  return {
    command: stored.command,
    rowCount: stored.rowCount,
    rows: stored.rows,
    oid: 0,
    fields: [],
    resolved: true,
  } as pg.QueryResult;
}
