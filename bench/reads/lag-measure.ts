import type { PoolHealth } from '../../src/core/health';
import { median, percentile } from '../lib/stats';
import { markdownTable } from '../lib/table';
import { ENGINE_TITLES } from '../report/sections';
import type { ReadsSubject } from './subject';
import { WRITE_SQL } from './workload';

/** One way a pool measures its replicas (the MariaDB subject has two pools: with and without heartbeat). */
export interface LagMeasure {
  readonly label: string;
  health(): PoolHealth;
}

/** What one measure read of the replicas while they were `replicas` (delayed or not). */
export interface LagCell {
  readonly replicas: string;
  readonly measure: string;
  /** Every replica's `lagMs` at each sample; undefined counted apart (unknown staleness). */
  readonly samples: number[];
  unknown: number;
}

/** Ids of the rows this measure writes: far above the causal cells' (they count from 1). */
let nextId = 1_000_000_000;
const SAMPLE_EVERY_MS = 200;
const WRITE_EVERY_MS = 20;

/**
 * For `ms`, one caller writes a row every 20 ms (a delayed replica is behind only while there is
 * something to apply) and every 200 ms each measure's view of every replica is sampled: its
 * `lagMs`, as the monitor's last probe read it (each probe every `monitor.intervalMs`, so a sample
 * repeats the previous one until the next probe).
 */
export async function measureLag(
  subject: ReadsSubject,
  measures: readonly LagMeasure[],
  replicas: string,
  ms: number,
): Promise<LagCell[]> {
  const cells = measures.map((m): LagCell => ({ replicas, measure: m.label, samples: [], unknown: 0 }));
  const deadline = performance.now() + ms;
  const writer = (async () => {
    while (performance.now() < deadline) {
      await subject.query(WRITE_SQL[subject.engine], [nextId++, 'lag']);
      await new Promise((resolve) => setTimeout(resolve, WRITE_EVERY_MS));
    }
  })();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    measures.forEach((measure, i) => {
      const cell = cells[i] as LagCell;
      for (const node of measure.health().nodes.filter((n) => n.role === 'replica')) {
        if (node.lagMs === undefined) cell.unknown++;
        else cell.samples.push(node.lagMs);
      }
    });
  }
  await writer;
  return cells;
}

/** The measures side by side: what each read of replicas on time, and of replicas delayed on purpose. */
export function lagTable(
  measured: readonly { engine: keyof typeof ENGINE_TITLES; cells: readonly LagCell[] }[],
) {
  const rows = measured.flatMap(({ engine, cells }) =>
    cells.map((cell) => {
      const s = cell.samples;
      const fig = (v: number) => (s.length === 0 ? 'n/a' : `${Math.round(v)} ms`);
      return [
        ENGINE_TITLES[engine],
        cell.replicas,
        cell.measure,
        String(s.length),
        String(cell.unknown),
        fig(Math.min(...s)),
        fig(median(s)),
        fig(percentile(s, 99)),
        fig(Math.max(...s)),
        String(new Set(s).size),
      ];
    }),
  );
  const header = [
    'engine',
    'replicas',
    'measure',
    'samples',
    'unknown',
    'min',
    'median',
    'p99',
    'max',
    'distinct values',
  ];
  return markdownTable(header, rows);
}
