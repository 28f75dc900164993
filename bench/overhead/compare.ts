import { median } from '../lib/stats';
import { type PhaseResult, runPhase } from './closed-loop';
import type { Runner } from './subjects';
import type { OverheadEngine, Workload } from './workloads';

export interface SideFigures {
  throughput: number;
  p50Us: number;
  p99Us: number;
  /** Client CPU per statement, microseconds. */
  cpuUsPerOp: number;
}

export interface CellResult {
  engine: OverheadEngine;
  workload: string;
  callers: number;
  /** Medians over the rounds. */
  raw: SideFigures;
  ours: SideFigures;
  /** Median over the rounds of ours/raw throughput, each round's pair measured back to back. */
  ratio: number;
  /** Median over the rounds of ours p50 - raw p50, microseconds. */
  addedP50Us: number;
  /** Median over the rounds of ours - raw client CPU per statement, microseconds. */
  addedCpuUs: number;
  rounds: { raw: PhaseResult; ours: PhaseResult }[];
}

/**
 * Runs the two sides in alternating order, round after round (raw, ours; ours, raw; ...), so that
 * machine noise and any drift (the table growing, caches warming) hit both alike; figures are
 * medians over the rounds and the ratio is taken within each round.
 */
export async function compareCell(
  sides: { raw: Runner; ours: Runner },
  engine: OverheadEngine,
  workload: Workload,
  callers: number,
  rounds: number,
  phaseMs: number,
): Promise<CellResult> {
  const sql = workload.sql[engine];
  // Warm both (connections open, code paths compiled) before anything is measured.
  await runPhase(sides.raw, workload, sql, callers, Math.min(300, phaseMs));
  await runPhase(sides.ours, workload, sql, callers, Math.min(300, phaseMs));
  const results: CellResult['rounds'] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['raw', 'ours'] as const) : (['ours', 'raw'] as const);
    const round: Partial<Record<'raw' | 'ours', PhaseResult>> = {};
    for (const side of order) round[side] = await runPhase(sides[side], workload, sql, callers, phaseMs);
    results.push(round as { raw: PhaseResult; ours: PhaseResult });
  }
  const figures = (side: 'raw' | 'ours'): SideFigures => ({
    throughput: median(results.map((r) => r[side].throughput)),
    p50Us: median(results.map((r) => r[side].p50Us)),
    p99Us: median(results.map((r) => r[side].p99Us)),
    cpuUsPerOp: median(results.map((r) => r[side].cpuUsPerOp)),
  });
  return {
    engine,
    workload: workload.name,
    callers,
    raw: figures('raw'),
    ours: figures('ours'),
    ratio: median(results.map((r) => r.ours.throughput / r.raw.throughput)),
    addedP50Us: median(results.map((r) => r.ours.p50Us - r.raw.p50Us)),
    addedCpuUs: median(results.map((r) => r.ours.cpuUsPerOp - r.raw.cpuUsPerOp)),
    rounds: results,
  };
}
