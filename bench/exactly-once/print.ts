import { markdownTable } from '../lib/table';
import type { OverheadEngine } from '../overhead/workloads';
import { ENGINE_TITLES } from '../report/sections';
import { type OnceCell, rowsMatch } from './cell';

const HEADER = [
  'engine',
  'replication',
  'callers',
  'plain w/s',
  'exactlyOnce w/s',
  'ratio eo/plain',
  'ratio min-max',
  'p50 plain/eo',
  'p99 plain/eo',
  'key rows/eo writes',
];

/** Latencies in ms: a synchronous COMMIT waits for a standby, so whole milliseconds are common. */
const ms = (plainUs: number, onceUs: number) =>
  `${(plainUs / 1000).toFixed(2)} / ${(onceUs / 1000).toFixed(2)} ms`;

function row(engine: OverheadEngine, cell: OnceCell): string[] {
  const { result } = cell;
  const ratios = result.rounds.map((r) => r.ours.throughput / r.raw.throughput);
  return [
    ENGINE_TITLES[engine],
    cell.replication,
    String(cell.callers),
    String(Math.round(result.raw.throughput)),
    String(Math.round(result.ours.throughput)),
    result.ratio.toFixed(3),
    `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
    ms(result.raw.p50Us, result.ours.p50Us),
    ms(result.raw.p99Us, result.ours.p99Us),
    `${cell.keyRows}/${cell.onceWrites}${rowsMatch(cell) ? '' : ' MISMATCH'}`,
  ];
}

export function onceTable(
  measured: readonly { engine: OverheadEngine; cells: readonly OnceCell[] }[],
): string {
  return markdownTable(
    HEADER,
    measured.flatMap(({ engine, cells }) => cells.map((cell) => row(engine, cell))),
  );
}

/** Why a cell's rows do not add up, for the failure list (undefined when they do). */
export function rowsProblem(engine: OverheadEngine, cell: OnceCell): string | undefined {
  if (rowsMatch(cell)) return undefined;
  return (
    `${ENGINE_TITLES[engine]} ${cell.replication} x${cell.callers}: ${cell.keyRows} idempotency keys for ` +
    `${cell.onceWrites} exactlyOnce writes, ${cell.eventRows} rows for ${cell.writes} writes`
  );
}
