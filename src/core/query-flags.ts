import { ConfigError } from './errors';

/** What failover-pool adds to a statement's options, in every driver's query API. */
export interface QueryFlags {
  /**
   * Running this write twice does no harm (an upsert, a `SET x = 5`): if its connection dies after
   * it was sent, it is re-run on the new primary instead of failing with WriteOutcomeUnknownError.
   */
  idempotent?: boolean;
  /** This statement only reads: it may be re-run after any connection failure. */
  readOnly?: boolean;
}

/** Whether a statement with these flags may be run twice; a flag that is not a boolean is an error. */
export function isReRunnable(flags: QueryFlags): boolean {
  checkFlag(flags.idempotent, 'idempotent');
  checkFlag(flags.readOnly, 'readOnly');
  return flags.idempotent === true || flags.readOnly === true;
}

function checkFlag(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ConfigError(`query.${name}`, `expected true or false, got ${typeof value}.`);
  }
}
