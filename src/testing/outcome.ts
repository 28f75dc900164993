/**
 * How a failed write is counted in a history when the app says nothing else: failover-pool's
 * errors say whether anything was applied.
 */
import type { FailoverPoolErrorCode } from '../core/errors';
import { findFailoverError } from '../core/find-error';

/** failover-pool's error codes that say the write was not applied (all but WRITE_OUTCOME_UNKNOWN). */
const NOT_APPLIED = new Set<FailoverPoolErrorCode>([
  'CONFIG',
  'NO_PRIMARY',
  'SPLIT_BRAIN',
  'CLUSTER_MISMATCH',
  'NODE_UNAVAILABLE',
  'POOL_ENDED',
]);

/**
 * Default outcome of a failed write: failover-pool's own errors say nothing was applied, except
 * WriteOutcomeUnknownError; anything else (a timeout, a driver error) may have been applied. By
 * code rather than class: a bundle may hold two copies of the error classes. Found inside an ORM's
 * wrapper too (Sequelize's `original`, Drizzle's `cause`, TypeORM's `driverError`).
 */
export function defaultOutcomeOf(error: unknown): 'fail' | 'unknown' {
  const code = findFailoverError(error)?.code;
  return code !== undefined && NOT_APPLIED.has(code) ? 'fail' : 'unknown';
}
