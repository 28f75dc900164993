import { onlyStartsTransaction } from './transaction-start';

/**
 * What a statement does to the session it runs in, as far as a connection that follows the primary
 * (following-session.ts) must know: whether it opens or ends a transaction, or changes a session
 * setting that a new connection must be given again.
 */
export type SessionStatementKind = 'begin' | 'commit' | 'rollback' | 'setting' | 'other';

/** Longer texts are never one of the short statements below; the check stays cheap. */
const MAX_LENGTH = 400;

/** COMMIT / END, alone (`COMMIT AND CHAIN` opens the next transaction at once: not an end). */
const COMMIT = /^(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?$/i;
/** ROLLBACK / ABORT, alone: `ROLLBACK TO SAVEPOINT` stays in the transaction. */
const ROLLBACK = /^(?:ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?$/i;
/**
 * A session setting: `SET x = y`, `SET SESSION ...`, `SET NAMES`, `SET TIME ZONE`, `SET @v = ...`.
 * Not `SET LOCAL` / `SET TRANSACTION` / `SET CONSTRAINTS` (they end with the transaction), nor
 * `SET GLOBAL` / `SET PERSIST` (the server's, not the session's).
 */
const SETTING =
  /^SET\s+(?!(?:LOCAL|TRANSACTION|CONSTRAINTS|GLOBAL|PERSIST|PERSIST_ONLY)\b|@@(?:GLOBAL|PERSIST))/i;

/** The words such a statement starts with: one anchored test turns every other statement away. */
const FIRST_WORD = /^\s*(?:BEGIN|START|SET|COMMIT|END|ROLLBACK|ABORT)\b/i;

/** The kind of `sql` (a whole statement text, as the app sent it). */
export function sessionStatementKind(sql: string | undefined): SessionStatementKind {
  if (sql === undefined || sql.length > MAX_LENGTH || !FIRST_WORD.test(sql)) return 'other';
  if (onlyStartsTransaction(sql)) return 'begin';
  const parts = statementsOf(sql);
  if (parts.length === 1) {
    if (COMMIT.test(parts[0] as string)) return 'commit';
    if (ROLLBACK.test(parts[0] as string)) return 'rollback';
  }
  // Sequelize sends its session settings as one text: "SET a=b;SET c TO d;SET TIME ZONE 'UTC';".
  if (parts.length > 0 && parts.every((part) => SETTING.test(part))) return 'setting';
  return 'other';
}

/**
 * The statements of a short text split at semicolons, trimmed. A semicolon inside a quoted value
 * splits it wrongly, into a part that is not a SET: the text is then 'other', which is safe (a
 * setting not given again, never a statement taken for one).
 */
function statementsOf(sql: string): string[] {
  return sql
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/**
 * Whether `sql` only sets the session up (a session setting, a bare BEGIN): a fresh connection can
 * be given it again before the statements that follow (core/pinned-session.ts).
 */
export function setsUpSession(sql: string | undefined): boolean {
  const kind = sessionStatementKind(sql);
  return kind === 'begin' || kind === 'setting';
}
