import { markdownTable, textTable } from '../lib/table';
import type { CellResult } from './compare';
import type { HeapFigures } from './heap';
import type { RoutingFigures } from './routing';

/** The targets (issue 10): throughput within 3% of the raw pool, at most 2 us more client CPU. */
export const TARGET_RATIO = 0.97;
export const TARGET_ADDED_CPU_US = 2;

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
  'raw CPU/stmt',
  'ours CPU/stmt',
  'added CPU',
];

const us = (n: number) => `${Math.round(n)} us`;
const cpu = (n: number) => `${n.toFixed(1)} us`;

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
    cpu(c.raw.cpuUsPerOp),
    cpu(c.ours.cpuUsPerOp),
    cpu(c.addedCpuUs),
  ]);
}

export function overheadTable(cells: readonly CellResult[], markdown = false): string {
  return (markdown ? markdownTable : textTable)(HEADER, rows(cells));
}

export interface Verdict {
  ratios: { workload: string; callers: number; ratio: number; met: boolean }[];
  maxAddedCpuUs: number;
  addedCpuMet: boolean;
  maxAddedP50Us: number;
  met: boolean;
}

export function verdictOf(cells: readonly CellResult[]): Verdict {
  const ratios = cells.map((c) => ({
    workload: c.workload,
    callers: c.callers,
    ratio: c.ratio,
    met: c.ratio >= TARGET_RATIO,
  }));
  const maxAddedCpuUs = Math.max(...cells.map((c) => c.addedCpuUs));
  const addedCpuMet = maxAddedCpuUs <= TARGET_ADDED_CPU_US;
  const maxAddedP50Us = Math.max(...cells.map((c) => c.addedP50Us));
  return {
    ratios,
    maxAddedCpuUs,
    addedCpuMet,
    maxAddedP50Us,
    met: addedCpuMet && ratios.every((r) => r.met),
  };
}

export function verdictLines(v: Verdict): string[] {
  const missed = v.ratios.filter((r) => !r.met);
  return [
    `Throughput ratio (target >= ${TARGET_RATIO} in every cell): ${v.ratios.length - missed.length} of ${v.ratios.length} met` +
      (missed.length === 0
        ? ''
        : `; missed: ${missed.map((r) => `${r.workload} x${r.callers} ${r.ratio.toFixed(3)}`).join(', ')}`),
    `Largest added client CPU per statement (target <= ${TARGET_ADDED_CPU_US} us): ${v.maxAddedCpuUs.toFixed(1)} us ${v.addedCpuMet ? 'met' : 'MISSED'}`,
    `Largest added p50: ${Math.round(v.maxAddedP50Us)} us`,
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
