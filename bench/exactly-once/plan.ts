import { parseArgs } from 'node:util';
import type { ReplicationMode } from '../../src/testing/cluster/index';
import { engineOf } from '../lib/args';
import type { OverheadEngine } from '../overhead/workloads';

/** What one run of bench/exactly-once.ts measures, from its flags. */
export interface OncePlan {
  smoke: boolean;
  /** Measured A/B runs per cell (each: plain, then exactlyOnce, or the other way round). */
  runs: number;
  runMs: number;
  /** Per side and cell, before the runs: connections open, the idempotency table created, code compiled. */
  warmUpMs: number;
  callers: readonly number[];
  replications: readonly ReplicationMode[];
  /** Empty: both. */
  engines: readonly OverheadEngine[];
}

/**
 * `--smoke` is a check that the script works (one short run, async only, well under a minute per
 * engine), not a measurement. `--runs N`, `--run-ms MS` and `--engine postgres|mariadb` override.
 */
export function parseOncePlan(argv: string[]): OncePlan {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      runs: { type: 'string' },
      'run-ms': { type: 'string' },
      engine: { type: 'string', multiple: true },
      // Taken as the other benches take it (the smoke test passes it to every one); nothing is written.
      out: { type: 'string' },
    },
    strict: true,
  });
  const smoke = values.smoke === true;
  return {
    smoke,
    runs: count(values.runs, '--runs', smoke ? 1 : 5),
    runMs: count(values['run-ms'], '--run-ms', smoke ? 500 : 3_000),
    warmUpMs: smoke ? 200 : 1_000,
    callers: smoke ? [1, 8] : [1, 8, 32],
    // Synchronous replication puts a standby's flush inside every COMMIT: both are worth a row.
    replications: smoke ? ['async'] : ['async', 'sync'],
    engines: [...new Set((values.engine ?? []).map(engineOf))],
  };
}

function count(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${flag} takes a positive whole number, got "${text}".`);
  return n;
}
