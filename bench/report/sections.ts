import type { CellSummary } from '../failover/summary';
import type { TrialResult } from '../failover/trial';
import type { Engine } from '../failover/types';
import type { MachineInfo } from '../lib/machine';
import type { CellResult } from '../overhead/compare';
import type { HeapFigures } from '../overhead/heap';
import type { Verdict } from '../overhead/print';
import type { RoutingFigures } from '../overhead/routing';

/** How sections are titled: the engine key is the driver family, the servers here are these. */
export const ENGINE_TITLES: Record<Engine, string> = {
  postgres: 'PostgreSQL (pg)',
  mysql: 'MariaDB (mysql2)',
};

/** One raw pool against failover-pool's, on one engine. */
export interface OverheadPairSection {
  raw: string;
  ours: string;
  cells: CellResult[];
  verdict: Verdict;
  heap: HeapFigures;
}

/** The sections of bench-report.json (one per bench and engine), as the benches write them. */
export interface OverheadSection {
  engine: Engine;
  command: string;
  machine: MachineInfo;
  server: string;
  settings: { poolSize: number; callers: number[]; rounds: number; phaseMs: number; smoke: boolean };
  pairs: OverheadPairSection[];
  /** Engine-independent (no I/O), measured once per run and shown with each engine. */
  routing: RoutingFigures;
}

export interface FailoverSection {
  engine: Engine;
  command: string;
  machine: MachineInfo;
  server: string;
  settings: {
    trials: number;
    neverAfterMs: number;
    callers: number;
    pauseMs: number;
    warmupMs: number;
    settleMs: number;
    smoke: boolean;
  };
  clients: { name: string; setup: string; skipped?: string }[];
  cells: CellSummary[];
  trials: TrialResult[];
  wallMs: number;
}
