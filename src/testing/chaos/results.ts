/** What the chaos suite measures: per trial, per cell of the matrix, and for a whole run. */
import type { ReplicationMode } from '../cluster/test-cluster';
import type { TimelineEvent } from './types';

/** Ids listed in a result at most; the counts are always complete. */
export const MAX_LISTED_IDS = 20;

export interface TrialResult {
  engine: string;
  /** Engine and version, e.g. 'PostgreSQL 15'. */
  description: string;
  fault: string;
  replication: ReplicationMode;
  /** 1-based. */
  trial: number;
  /** Set when the harness itself failed (a cluster that did not start, a promotion that timed out). */
  harnessError?: string;
  /** Promotions during the trial, by the harness or by the app's instances, and how many the fault calls for. */
  promotions: number;
  expectedPromotions: number;
  /** Why app instances did not promote, by reason (promotion by the library only). */
  promotionSkips: Record<string, number>;
  /** What the app instances were expected to do and did not (a former primary never fenced). */
  libraryFailures: string[];
  /** A write started after the recovery (the fault's script ended) was acknowledged. */
  resumed: boolean;
  /** Writes attempted, acknowledged, certainly failed, of unknown outcome. */
  writes: { attempted: number; ok: number; fail: number; unknown: number };
  /** Acknowledged writes missing from the final primary. */
  lost: number;
  /** Ids present more than once on the final primary (a write applied twice). */
  duplicated: number;
  /** Writes reported as certainly failed that are present anyway. */
  failedButApplied: number;
  /** How the unknown outcomes resolved. */
  unknownApplied: number;
  unknownNotApplied: number;
  /** Writes that never ended: a wait of the pool that is not bounded. */
  hung: number;
  /** Writes that reached a superseded primary after the fault and are not on the final one. */
  strays: number;
  /** Nodes the pool took for the primary although the harness never made them primary. */
  foreignPrimaries: string[];
  /** Up to MAX_LISTED_IDS ids of each problem, for reproducing it. */
  examples: { lost: string[]; duplicated: string[]; failedButApplied: string[]; strays: string[] };
  /** Errors the app saw, by class (failover-pool code, SQLSTATE, or class name). */
  errors: Record<string, number>;
  /** Total time without a successful write (gaps longer than gapThresholdMs), and each window. */
  outageMs: number;
  outages: Array<{ startMs: number; endMs: number }>;
  gapThresholdMs: number;
  /** Times are in ms from the trial's first write. */
  faultAtMs: number;
  durationMs: number;
  events: TimelineEvent[];
  /** Acknowledged writes per `bucketMs`, from the first write: the throughput line of the timeline. */
  bucketMs: number;
  okPerBucket: number[];
  /** When writes ended without success (capped), for the timeline. */
  failures: Array<{ atMs: number; outcome: 'fail' | 'unknown' }>;
}

/** One cell of the matrix: a fault x engine x replication mode, over its trials. */
export interface CellSummary {
  engine: string;
  description: string;
  fault: string;
  title: string;
  replication: ReplicationMode;
  trials: number;
  /** Trials the harness could not complete. */
  harnessErrors: number;
  /** Promotions in each trial, and how many the fault calls for. */
  promotions: number[];
  expectedPromotions: number;
  /**
   * Trials with another number of promotions, whose writes did not resume after the recovery, or
   * where the app instances left something undone (`TrialResult.libraryFailures`).
   */
  wrongPromotions: number;
  notResumed: number;
  libraryFailures: number;
  /** Why app instances did not promote, by reason, over the trials (promotion by the library only). */
  promotionSkips: Record<string, number>;
  writesOk: number;
  lost: number;
  duplicated: number;
  failedButApplied: number;
  unknown: number;
  unknownApplied: number;
  strays: number;
  foreignPrimaries: number;
  hung: number;
  /** Per-trial outage (total time without a successful write), median and max over the trials. */
  outageMedianMs: number | undefined;
  outageMaxMs: number | undefined;
  errors: Record<string, number>;
  /**
   * `pass`: nothing lost, duplicated, failed-but-applied, strayed, misrouted or hung, every trial
   * complete, with the promotions its fault calls for and writes acknowledged after the recovery.
   * `loss-expected`: only acknowledged writes lost, under asynchronous replication, where a failover
   * can lose what the standby had not received. `fail`: anything else.
   */
  verdict: 'pass' | 'loss-expected' | 'fail';
}

export interface ChaosReport {
  /** ISO time the run started (wall clock: for people, never for measuring). */
  startedAt: string;
  durationMs: number;
  trialsPerCell: number;
  cells: CellSummary[];
  trials: TrialResult[];
}
