import { FAILOVER_POOL_ERROR_CODES, type FailoverPoolError, type FailoverPoolErrorCode } from './errors';

const CODES: ReadonlySet<string> = new Set<FailoverPoolErrorCode>(FAILOVER_POOL_ERROR_CODES);

/** Where ORMs and libraries keep the error they wrapped. */
const WRAPPED = ['cause', 'original', 'parent', 'driverError', 'error'] as const;

/** Wrappers inside wrappers: deeper than this is not an ORM's doing. */
const MAX_DEPTH = 6;

/**
 * The failover-pool error behind `error`, however an ORM wrapped it: Sequelize keeps the driver's
 * error in `original` (and `parent`), Drizzle in `cause`, TypeORM in `driverError`, an
 * AggregateError in `errors`. Recognised by its `code`, not by `instanceof`, so that an error from
 * the package's other build (ESM or CommonJS) is found too. Undefined when there is none.
 *
 * ```ts
 * catch (err) {
 *   if (findFailoverError(err)?.code === 'WRITE_OUTCOME_UNKNOWN') ...
 * }
 * ```
 */
export function findFailoverError(error: unknown): FailoverPoolError | undefined {
  const seen = new Set<unknown>();
  let level: unknown[] = [error];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const candidate of level) {
      if (typeof candidate !== 'object' || candidate === null || seen.has(candidate)) continue;
      seen.add(candidate);
      if (isFailoverError(candidate)) return candidate;
      const record = candidate as Record<string, unknown>;
      for (const key of WRAPPED) if (record[key] !== undefined) next.push(record[key]);
      if (Array.isArray(record.errors)) next.push(...record.errors);
    }
    level = next;
  }
  return undefined;
}

function isFailoverError(value: object): value is FailoverPoolError {
  const { code, message } = value as { code?: unknown; message?: unknown };
  return typeof code === 'string' && CODES.has(code) && typeof message === 'string';
}
