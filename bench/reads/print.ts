import { percentile } from '../lib/stats';
import { markdownTable } from '../lib/table';
import type { OverheadEngine } from '../overhead/workloads';
import { ENGINE_TITLES } from '../report/sections';
import type { CausalCell, CausalSide } from './causal';
import { describeServed, replicaShare } from './served';
import type { ReadsSubject } from './subject';
import type { ThroughputCell } from './throughput';

/** One engine's cells, as measured (cells measured before a failure included). */
export interface EngineCells {
  readonly engine: OverheadEngine;
  subject?: ReadsSubject;
  throughput?: ThroughputCell;
  readonly causal: CausalCell[];
}

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)} ms`);
const us = (value: number) => `${Math.round(value)} µs`;
const pair = (a: string, b: string) => `${a} / ${b}`;

const THROUGHPUT_HEADER = [
  'engine',
  'callers',
  'primary reads/s',
  'replica reads/s',
  'ratio replica/primary',
  'ratio min-max',
  'p50 primary / replica',
  'p99 primary / replica',
  'client CPU/read primary / replica',
  'replica side served by',
];

export function throughputTable(measured: readonly EngineCells[]): string {
  const rows = measured.flatMap(({ engine, subject, throughput: cell }) => {
    if (!cell || !subject) return [];
    const { result } = cell;
    const ratios = result.rounds.map((r) => r.ours.throughput / r.raw.throughput);
    return [
      [
        ENGINE_TITLES[engine],
        String(cell.readers),
        String(Math.round(result.raw.throughput)),
        String(Math.round(result.ours.throughput)),
        result.ratio.toFixed(3),
        `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
        pair(ms(result.raw.p50Us / 1000), ms(result.ours.p50Us / 1000)),
        pair(ms(result.raw.p99Us / 1000), ms(result.ours.p99Us / 1000)),
        pair(us(result.raw.cpuUsPerOp), us(result.ours.cpuUsPerOp)),
        describeServed(cell.served.replica, subject),
      ],
    ];
  });
  return markdownTable(THROUGHPUT_HEADER, rows);
}

const CAUSAL_HEADER = [
  'engine',
  'replicas',
  'writers',
  'reads after / plain',
  'read p50 after / plain',
  'read p99 after / plain',
  'added p50',
  'on replica / primary, after / plain',
  'plain reads missing the row',
  'causalToken() p50 / p99',
];

const p = (side: CausalSide, q: number, of: 'readMs' | 'tokenMs' = 'readMs') => percentile(side[of], q);

export function causalTable(measured: readonly EngineCells[]): string {
  const rows = measured.flatMap(({ engine, subject, causal }) =>
    subject === undefined
      ? []
      : causal.map(({ replicas, writers, after, plain }) => {
          const share = (side: CausalSide) => {
            const { replicas: onReplicas, other } = replicaShare(side.served, subject);
            return pair(String(onReplicas), String(other));
          };
          return [
            ENGINE_TITLES[engine],
            replicas,
            String(writers),
            pair(String(after.readMs.length), String(plain.readMs.length)),
            pair(ms(p(after, 50)), ms(p(plain, 50))),
            pair(ms(p(after, 99)), ms(p(plain, 99))),
            ms(p(after, 50) - p(plain, 50)),
            `${share(after)}, ${share(plain)}`,
            `${plain.missed} of ${plain.readMs.length}`,
            pair(ms(p(after, 50, 'tokenMs')), ms(p(after, 99, 'tokenMs'))),
          ];
        }),
  );
  return markdownTable(CAUSAL_HEADER, rows);
}

/**
 * What must hold whatever the timings, for the failure list: the replica side of the throughput cell
 * read from replicas, and every read `after` a token saw the row written before it.
 */
export function problems({ engine, subject, throughput, causal }: EngineCells): string[] {
  if (!subject) return [];
  const title = ENGINE_TITLES[engine];
  const found: string[] = [];
  if (throughput && replicaShare(throughput.served.replica, subject).replicas === 0) {
    found.push(`${title}: no read marked readFrom: 'replica' was served by a replica`);
  }
  for (const cell of causal) {
    if (cell.after.missed > 0) {
      found.push(
        `${title} (${cell.replicas}): ${cell.after.missed} of ${cell.after.readMs.length} reads after a token missed their row`,
      );
    }
  }
  return found;
}
