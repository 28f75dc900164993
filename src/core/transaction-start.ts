/**
 * Words that may follow BEGIN / START TRANSACTION when they only open a transaction (PostgreSQL's
 * isolation and access modes, MySQL's `WITH CONSISTENT SNAPSHOT`). A word outside this list (MariaDB's
 * `BEGIN NOT ATOMIC ... END` block, which can write) makes the text something else.
 */
const MODE_WORDS = new Set([
  'TRANSACTION',
  'WORK',
  'ISOLATION',
  'LEVEL',
  'READ',
  'WRITE',
  'ONLY',
  'COMMITTED',
  'UNCOMMITTED',
  'REPEATABLE',
  'SERIALIZABLE',
  'DEFERRABLE',
  'NOT',
  'WITH',
  'CONSISTENT',
  'SNAPSHOT',
]);

/** Longer texts are never a bare transaction start; the check stays cheap on the path of every statement. */
const MAX_LENGTH = 120;

/**
 * Whether `sql` only opens a transaction (`BEGIN`, `START TRANSACTION`, with modes): it applies
 * nothing, so losing its connection after it was sent loses nothing, and it may run again on a
 * fresh connection (ORMs send it as a checked-out client's first statement).
 */
export function onlyStartsTransaction(sql: string): boolean {
  if (sql.length > MAX_LENGTH) return false;
  const first = sql.trimStart().charCodeAt(0) | 0x20; // lower case
  if (first !== 0x62 && first !== 0x73) return false; // 'b', 's'
  const words = sql
    .trim()
    .replace(/;$/, '')
    .toUpperCase()
    .split(/[\s,]+/)
    .filter((word) => word !== '');
  let rest: string[];
  if (words[0] === 'BEGIN') rest = words.slice(1);
  else if (words[0] === 'START' && words[1] === 'TRANSACTION') rest = words.slice(2);
  else return false;
  return rest.every((word) => MODE_WORDS.has(word));
}
