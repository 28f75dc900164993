import { parseArgs } from 'node:util';
import type { Engine } from '../failover/types';

/**
 * Command-line flags shared by the two benches. Every flag has a default, so `npm run bench:*`
 * alone runs the full benchmark; `--smoke` shrinks everything to a quick check that the script
 * still works (what `npm test` runs).
 */
export interface BenchArgs {
  smoke: boolean;
  /** Folder for bench-report.json and bench-report.html (default: the repository root). */
  out: string;
  trials: number;
  /** Faults to run, by name; empty: all. */
  faults: string[];
  /** Clients to run, by name; empty: all. */
  clients: string[];
  /** How long a client gets to recover after the new primary is writable before it is "never". */
  neverAfterMs: number;
  /** Overhead: seconds per phase and A/B rounds per cell. */
  phaseMs: number;
  rounds: number;
  /** Skip peers that need Node 22 (the AWS wrapper). */
  noPeers: boolean;
  /** Engines to run: PostgreSQL, MariaDB (the mysql2 side); empty: both. */
  engines: Engine[];
}

/** `--engine` takes the server's name; `mysql` is the same thing (the mysql2 driver, on MariaDB here). */
const ENGINE_NAMES: Record<string, Engine> = { postgres: 'postgres', mariadb: 'mysql', mysql: 'mysql' };

export function parseBenchArgs(argv: string[], root: string): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      trials: { type: 'string' },
      fault: { type: 'string', multiple: true },
      client: { type: 'string', multiple: true },
      'never-after': { type: 'string' },
      'phase-ms': { type: 'string' },
      rounds: { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      engine: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const smoke = values.smoke === true;
  return {
    smoke,
    out: values.out ?? root,
    trials: positive(values.trials, 'trials', smoke ? 1 : 5),
    faults: splitList(values.fault),
    clients: splitList(values.client),
    neverAfterMs: positive(values['never-after'], 'never-after', smoke ? 5_000 : 30_000),
    phaseMs: positive(values['phase-ms'], 'phase-ms', smoke ? 150 : 2_000),
    rounds: positive(values.rounds, 'rounds', smoke ? 1 : 5),
    noPeers: smoke || values['no-peers'] === true,
    engines: [...new Set(splitList(values.engine).map(engineOf))],
  };
}

export function engineOf(name: string): Engine {
  const engine = ENGINE_NAMES[name.toLowerCase()];
  if (!engine) throw new Error(`--engine must be postgres or mariadb, got "${name}".`);
  return engine;
}

/** Whether `engine` was selected (all are when none was named). */
export const wantsEngine = (args: BenchArgs, engine: Engine): boolean =>
  args.engines.length === 0 || args.engines.includes(engine);

function splitList(list: string[] | undefined): string[] {
  return (list ?? []).flatMap((item) => item.split(',')).filter((item) => item !== '');
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}".`);
  return n;
}
