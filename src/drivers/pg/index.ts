/**
 * `failover-pool/pg`: a pg.Pool that follows the primary. The only entry point that loads `pg`.
 */

import type { PgPoolConfig } from './options';
import { FailoverPgPool } from './pool';

export type { FollowingPgClient } from './following-client';
export { createPgModule, type PgModule } from './module';
export type { PgPoolConfig } from './options';
export type { PgPoolEvents } from './pool';
export { FailoverPgPool } from './pool';
export type { FailoverQueryArrayConfig, FailoverQueryConfig } from './query-args';
export { FailoverPgReader } from './reader';
export type { PgTransaction } from './transaction';

/** `new pg.Pool(config)` becomes `createPgPool(config)`, with every node of the cluster in `hosts`. */
export function createPgPool(config: PgPoolConfig): FailoverPgPool {
  return new FailoverPgPool(config);
}
export { READ_REPLICAS } from '../read-replicas';
