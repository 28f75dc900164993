import { markdownTable, textTable } from '../lib/table';
import type { CellResult } from './compare';
import type { HeapFigures } from './heap';
import type { RoutingFigures } from './routing';

/** Issue 6's targets. */
export const TARGET_RATIO_AT_32 = 0.97;
export const TARGET_ADDED_P50_US = 20;

const HEADER = [
  'workload',
  'callers',
  'raw ops/s',
  'ours ops/s',
  'ratio ours/raw',
  'raw p50',
  'ours p50',
  'added p50',
  'raw p99',
  'ours p99',
];

const us = (n: number) => `${Math.round(n)} us`;

function rows(cells: readonly CellResult[]): string[][] {
  return cells.map((c) => [
    c.workload,
    String(c.callers),
    String(Math.round(c.raw.throughput)),
    String(Math.round(c.ours.throughput)),
    c.ratio.toFixed(3),
    us(c.raw.p50Us),
    us(c.ours.p50Us),
    us(c.addedP50Us),
    us(c.raw.p99Us),
    us(c.ours.p99Us),
  ]);
}

export function overheadTable(cells: readonly CellResult[], markdown = false): string {
  return (markdown ? markdownTable : textTable)(HEADER, rows(cells));
}

export interface Verdict {
  ratioAt32: { workload: string; ratio: number; met: boolean }[];
  maxAddedP50Us: number;
  addedP50Met: boolean;
  met: boolean;
}

export function verdictOf(cells: readonly CellResult[]): Verdict {
  const ratioAt32 = cells
    .filter((c) => c.callers === 32)
    .map((c) => ({ workload: c.workload, ratio: c.ratio, met: c.ratio >= TARGET_RATIO_AT_32 }));
  const maxAddedP50Us = Math.max(...cells.map((c) => c.addedP50Us));
  const addedP50Met = maxAddedP50Us < TARGET_ADDED_P50_US;
  return { ratioAt32, maxAddedP50Us, addedP50Met, met: addedP50Met && ratioAt32.every((r) => r.met) };
}

export function verdictLines(v: Verdict): string[] {
  return [
    `Throughput ratio at 32 callers (target >= ${TARGET_RATIO_AT_32}): ${v.ratioAt32
      .map((r) => `${r.workload} ${r.ratio.toFixed(3)} ${r.met ? 'met' : 'MISSED'}`)
      .join('; ')}`,
    `Largest added p50 (target < ${TARGET_ADDED_P50_US} us): ${Math.round(v.maxAddedP50Us)} us ${v.addedP50Met ? 'met' : 'MISSED'}`,
  ];
}

export function heapLine(heap: HeapFigures): string {
  return `Heap per pool after one query (${heap.pools} pools each; ours has 3 nodes): raw ${heap.rawKB} KB, ours ${heap.oursKB} KB`;
}

export function routingLines(routing: RoutingFigures): string[] {
  return [
    `Routing decision (Router.primary(), no I/O): ${routing.routerPrimaryNs} ns`,
    `Engine bookkeeping per statement (FailoverEngine.run on a fake pool, no I/O): ${routing.engineRunNs} ns vs ${routing.baselineNs} ns without the engine: +${routing.engineAddedNs} ns`,
  ];
}

/** "mysql2/promise createPool vs createMysqlPromisePool": what a pair's table compares. */
export const pairTitle = (pair: { raw: string; ours: string }): string => `${pair.raw} vs ${pair.ours}`;
