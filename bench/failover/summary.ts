import { max, median, sum } from '../lib/stats';
import type { TrialResult } from './trial';

/** One client under one fault and replication mode, over all its trials. */
export interface CellSummary {
  engine: TrialResult['engine'];
  client: string;
  fault: TrialResult['fault'];
  replication: TrialResult['replication'];
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
  incidents: Record<string, number>;
  trialErrors: string[];
}

export function summarize(results: readonly TrialResult[]): CellSummary[] {
  const cells = new Map<string, TrialResult[]>();
  for (const r of results) {
    const key = `${r.engine}\u0000${r.client}\u0000${r.fault}\u0000${r.replication}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  return [...cells.values()].map((trials) => {
    const first = trials[0] as TrialResult;
    const measured = trials.flatMap((t) => (t.metrics ? [t.metrics] : []));
    const errors: Record<string, number> = {};
    for (const m of measured) for (const [k, n] of Object.entries(m.errors)) errors[k] = (errors[k] ?? 0) + n;
    const incidents: Record<string, number> = {};
    for (const t of trials)
      for (const i of t.incidents)
        incidents[`${i.what}: ${i.code}`] = (incidents[`${i.what}: ${i.code}`] ?? 0) + 1;
    const pick = (f: (m: (typeof measured)[number]) => number) => measured.map(f);
    return {
      engine: first.engine,
      client: first.client,
      fault: first.fault,
      replication: first.replication,
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
      incidents,
      trialErrors: trials.flatMap((t) => (t.error ? [`trial ${t.trial}: ${t.error}`] : [])),
    };
  });
}
