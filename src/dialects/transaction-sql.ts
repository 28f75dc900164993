/** SQL helpers both engines' transaction dialects share. */

/**
 * A statement that would end or restart the transaction the runner manages (BEGIN, COMMIT, ROLLBACK,
 * SET autocommit ...): run through the transaction's handle it would commit or abandon the work
 * behind the runner's back. SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT are fine; so is
 * MariaDB's `BEGIN NOT ATOMIC` block.
 */
export function isTransactionControl(sql: string): boolean {
  const text = sql.replace(LEADING_COMMENTS, '');
  return TRANSACTION_CONTROL.test(text) && !ALLOWED.test(text);
}

const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;
const TRANSACTION_CONTROL =
  /^(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ABORT|ROLLBACK|PREPARE\s+TRANSACTION|XA\s|SET\s+(?:SESSION\s+|LOCAL\s+|@@(?:SESSION\.)?)?autocommit)\b/i;
const ALLOWED = /^(?:ROLLBACK\s+(?:WORK\s+|TRANSACTION\s+)?TO\b|BEGIN\s+NOT\s+ATOMIC\b)/i;

/** `name` or `schema.name`, each part quoted with `quote`. */
export function quoteQualified(table: string, quote: string): string {
  return table
    .split('.')
    .map((part) => `${quote}${part}${quote}`)
    .join('.');
}

/** `text` as a LIKE pattern that matches it literally (backslash is the default escape of both engines). */
export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
