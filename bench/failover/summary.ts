import { max, median, sum, sumCounts } from '../lib/stats';
import type { TrialResult } from './trial';
import type { AnyFault, FaultName } from './types';

/** One client under one fault and replication mode, over all its trials. */
export interface CellSummary<F extends AnyFault = FaultName> {
  engine: TrialResult['engine'];
  client: string;
  fault: F;
  replication: TrialResult['replication'];
  promoter: TrialResult['promoter'];
  timeouts: TrialResult['timeouts'];
  /** Trials with figures (a trial whose cluster or harness failed has none). */
  trials: number;
  failedTrials: number;
  recovered: number;
  /** Infinity: at least half (median) or one (max) of the trials never recovered within the bound. */
  outageMedianMs: number;
  outageMaxMs: number;
  fromWritableMedianMs: number;
  fromWritableMaxMs: number;
  /** Summed over the trials. */
  errors: Record<string, number>;
  nonPrimaryWrites: number;
  inFlightOnOldPrimary: number;
  lost: number;
  lostMax: number;
  duplicates: number;
  unknownApplied: number;
  unknownNotApplied: number;
  failedButApplied: number;
  /** Writes acknowledged per trial, median over the measured trials. */
  ackedMedian: number;
  incidents: Record<string, number>;
  trialErrors: string[];
  /** Fault -> new primary writable (the watcher's moment), median and max over the measured trials. */
  writableAfterMedianMs: number;
  writableAfterMaxMs: number;
  /** Promotion by the library: `promoted` events per trial (every trial, in order), skips summed. */
  promotionsPerTrial: number[];
  skipped: Record<string, number>;
  /** The recipes' notes, with how many trials had each. */
  notes: Record<string, number>;
}

export function summarize<F extends AnyFault>(results: readonly TrialResult<F>[]): CellSummary<F>[] {
  const cells = new Map<string, TrialResult<F>[]>();
  for (const r of results) {
    const key = [r.engine, r.client, r.fault, r.replication, r.promoter, r.timeouts].join('\u0000');
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  return [...cells.values()].map((trials) => {
    const first = trials[0] as TrialResult<F>;
    const measured = trials.flatMap((t) => (t.metrics ? [t.metrics] : []));
    const errors = sumCounts(measured.map((m) => m.errors));
    const incidents: Record<string, number> = {};
    for (const t of trials)
      for (const i of t.incidents)
        incidents[`${i.what}: ${i.code}`] = (incidents[`${i.what}: ${i.code}`] ?? 0) + 1;
    const pick = (f: (m: (typeof measured)[number]) => number) => measured.map(f);
    const writableAfter = trials.flatMap((t) => (t.metrics && t.timeline ? [t.timeline.writableMs] : []));
    return {
      engine: first.engine,
      client: first.client,
      fault: first.fault,
      replication: first.replication,
      promoter: first.promoter,
      timeouts: first.timeouts,
      trials: measured.length,
      failedTrials: trials.length - measured.length,
      recovered: trials.filter((t) => t.metrics && t.recovered).length,
      outageMedianMs: median(pick((m) => m.outageMs)),
      outageMaxMs: max(pick((m) => m.outageMs)),
      fromWritableMedianMs: median(pick((m) => m.fromWritableMs)),
      fromWritableMaxMs: max(pick((m) => m.fromWritableMs)),
      errors,
      nonPrimaryWrites: sum(pick((m) => m.nonPrimaryWrites)),
      inFlightOnOldPrimary: sum(pick((m) => m.inFlightOnOldPrimary)),
      lost: sum(pick((m) => m.lost)),
      lostMax: max(pick((m) => m.lost)),
      duplicates: sum(pick((m) => m.duplicates)),
      unknownApplied: sum(pick((m) => m.unknownApplied)),
      unknownNotApplied: sum(pick((m) => m.unknownNotApplied)),
      failedButApplied: sum(pick((m) => m.failedButApplied)),
      ackedMedian: median(pick((m) => m.acked)),
      incidents,
      trialErrors: trials.flatMap((t) => (t.error ? [`trial ${t.trial}: ${t.error}`] : [])),
      writableAfterMedianMs: median(writableAfter),
      writableAfterMaxMs: max(writableAfter),
      promotionsPerTrial: trials.flatMap((t) => (t.promotion ? [t.promotion.promoted] : [])),
      skipped: sumCounts(trials.map((t) => t.promotion?.skipped ?? {})),
      notes: sumCounts(trials.map((t) => Object.fromEntries((t.notes ?? []).map((note) => [note, 1])))),
    };
  });
}
