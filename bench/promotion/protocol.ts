import type { Endpoints } from '../failover/types';
import type { PromotionRecord } from './events';

/**
 * Messages between a bench and an app instance in a child process (instance-child.ts): a pool of its
 * own with promotion by the library, writing a little, as one process of a scaled-out app. Events
 * go up as they happen, so a promotion is counted even if the instance dies afterwards. Times are
 * epoch ms (bench/lib/time.ts epochMs), one clock for every process.
 */
export interface InstanceSpec {
  /** Every node, the app's account, and the promotion account (`endpoints.promotion`). */
  readonly endpoints: Endpoints;
  /** Its number, written with each of its rows. */
  readonly instance: number;
  /** One insert into `instance_writes` every this many ms. */
  readonly writeEveryMs: number;
}

/** The table the instances write to, created with the cluster. */
export const INSTANCE_WRITES_SETUP =
  'CREATE TABLE instance_writes (instance INT NOT NULL, seq BIGINT NOT NULL)';

export type ToInstance =
  | { type: 'open'; spec: InstanceSpec }
  /** Its outage across a fault at `faultAt`, the new primary writable at `writableAt`. */
  | { type: 'report'; faultAt: number; writableAt: number }
  | { type: 'close' };

export interface InstanceReport {
  readonly acked: number;
  /** Errors its writes got, by class. */
  readonly errors: Record<string, number>;
  /** As the failover bench measures it (bench/lib/gap.ts); null: no write acknowledged after `writableAt`. */
  readonly outageMs: number | null;
}

export type FromInstance =
  | { type: 'opened' }
  | { type: 'open-failed'; message: string }
  | { type: 'event'; record: PromotionRecord }
  | { type: 'report'; report: InstanceReport }
  | { type: 'incident'; what: string; message: string }
  | { type: 'closed' };
