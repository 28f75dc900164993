import type { harness } from '../../src/testing';
import type { Engine } from '../soak/app-pool';

/**
 * Messages between the many-instances bench and its app instances (child.ts), one process each with
 * its own failover-pool pool and no promotion: the harness promotes. Times are epoch ms
 * (bench/lib/time.ts epochMs), one clock for every process.
 */
export type ToInstance =
  /** Open the pool and write one row through it (so it has found the primary), then stay idle. */
  | { type: 'open'; engine: Engine; connection: harness.ClusterConnectionOptions; instance: number }
  /** Insert one row, wait `everyMs`, and so on until closed. */
  | { type: 'write'; everyMs: number }
  /** The outage across a fault at `faultAt`, the new primary writable at `writableAt`. */
  | { type: 'report'; faultAt: number; writableAt: number }
  | { type: 'close' };

export interface InstanceReport {
  readonly acked: number;
  readonly errors: Readonly<Record<string, number>>;
  /** bench/lib/gap.ts; null: nothing acknowledged after `writableAt` yet. */
  readonly outageMs: number | null;
}

export type FromInstance =
  | { type: 'opened' }
  | { type: 'writing' }
  | { type: 'failed'; message: string }
  | { type: 'report'; report: InstanceReport }
  | { type: 'closed' };

/** The table the instances write to: created with the cluster. */
export const INSTANCE_TABLE = 'CREATE TABLE instance_writes (instance INT NOT NULL, seq BIGINT NOT NULL)';
