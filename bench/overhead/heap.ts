import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sleep } from '../lib/time';
import type { OverheadPair, Runner, Side } from './subjects';

export interface HeapFigures {
  /** Pools measured together (the per-pool figure is their mean, which smooths allocator noise). */
  pools: number;
  /** Heap used per pool after one query, kilobytes. */
  rawKB: number;
  oursKB: number;
}

/** A real gc() without starting Node with --expose-gc (so `tsx bench/overhead.ts` works as is). */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Heap used per pool: `pools` pools of one side at a time, each after one query (ours then holds its
 * monitor's snapshot and three probe connections, and one pooled connection to the primary; raw its
 * one connection).
 */
export async function measureHeap(pair: OverheadPair, pools: number): Promise<HeapFigures> {
  const gc = gcFunction();
  const perPool = async (side: Side): Promise<number> => {
    const before = await settledHeap(gc);
    const opened: Runner[] = Array.from({ length: pools }, () => pair.open(side, 1));
    await Promise.all(opened.map((runner) => runner.query('SELECT 1', [])));
    // Let the monitor finish a probe round on every node, so its snapshot is in the figure.
    await sleep(1_200);
    const after = await settledHeap(gc);
    await Promise.all(opened.map((runner) => runner.close()));
    return (after - before) / pools / 1024;
  };
  const raw = await perPool('raw');
  const ours = await perPool('ours');
  return { pools, rawKB: round(raw), oursKB: round(ours) };
}

const round = (n: number) => Math.round(n * 10) / 10;
