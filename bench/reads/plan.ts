import { type OncePlan, parseOncePlan } from '../exactly-once/plan';

/** What one run of bench/reads.ts measures, from its flags. */
export interface ReadsPlan extends Pick<OncePlan, 'smoke' | 'runs' | 'runMs' | 'warmUpMs' | 'engines'> {
  /** Callers of the throughput cell, each reading back to back. */
  readers: number;
  /** Callers of the causal cells, each writing a row, then reading it. */
  writers: number;
}

/**
 * The exactly-once bench's flags, meaning the same here: `--smoke` (a check that the script works,
 * one short run per cell, not a measurement), `--runs N` alternating runs per cell, `--run-ms MS` per
 * side and run, `--engine postgres|mariadb`.
 */
export function parseReadsPlan(argv: string[]): ReadsPlan {
  const { smoke, runs, runMs, warmUpMs, engines } = parseOncePlan(argv);
  return { smoke, runs, runMs, warmUpMs, engines, readers: 8, writers: 4 };
}
