/**
 * What an exactly-once statement (`exactlyOnce: true`) stores with its idempotency key: mysql2's
 * result without the field descriptions. For a write that is the OK packet (affectedRows, insertId,
 * changedRows, ...), which JSON keeps whole; for a statement returning rows, the rows.
 */
export function summarizeMysqlOutcome(outcome: readonly unknown[]): unknown {
  return outcome[0];
}

/**
 * The caller's outcome for a statement that committed on a connection that then died: the result as
 * it was, rebuilt from JSON (dates as ISO strings, buffers as `{ type: 'Buffer', data }`), marked
 * `resolved: true` where it is an object, and no fields.
 */
export function mysqlOutcomeFromStored(value: unknown): readonly unknown[] {
  const result =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { ...value, resolved: true }
      : value;
  return [result, undefined];
}
