import { line, rect, svg, text } from '../report/svg';
import type { Sample } from './sample';

const WIDTH = 900;
const LEFT = 230;
const RIGHT = 20;
const PANEL = 70;
const GAP = 18;
const TOP = 30;

export interface Mark {
  readonly atMs: number;
  readonly label: string;
}

/**
 * Panels stacked as a dashboard shows them, one per instrument, on one time axis: writes
 * acknowledged per second (from the workload), `failover_pool.node.up` per node, the cumulative
 * re-runs and unknown outcomes, and primary changes; vertical lines mark what happened.
 */
export function dashboard(samples: readonly Sample[], marks: readonly Mark[], title: string): string {
  const spanMs = samples.at(-1)?.atMs ?? 1;
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (ms: number) => LEFT + (ms / spanMs) * plotW;
  const nodes = Object.keys(samples.at(-1)?.up ?? {}).sort();
  const panels: {
    label: string;
    series: { name: string; colour: string; value: (s: Sample) => number }[];
  }[] = [
    {
      label: 'writes acknowledged /s',
      series: [{ name: 'acked', colour: '#2e7d32', value: (s) => s.acked * 10 }],
    },
    ...nodes.map((node) => ({
      label: `failover_pool.node.up ${node}`,
      series: [{ name: node, colour: '#1565c0', value: (s: Sample) => s.up[node] ?? 0 }],
    })),
    {
      label: 'failover_pool.statement.reruns',
      series: [{ name: 'reruns', colour: '#6a1b9a', value: (s) => s.reruns }],
    },
    {
      label: 'failover_pool.write.outcome_unknown',
      series: [{ name: 'unknown', colour: '#c62828', value: (s) => s.outcomeUnknown }],
    },
    {
      label: 'failover_pool.primary.changes',
      series: [{ name: 'changes', colour: '#ef6c00', value: (s) => s.primaryChanges }],
    },
  ];
  const height = TOP + panels.length * (PANEL + GAP) + 32;
  const body: string[] = [text(10, 18, title, 'font-weight="bold"')];
  panels.forEach((panel, i) => {
    const top = TOP + i * (PANEL + GAP);
    const series = panel.series[0] as (typeof panel.series)[number];
    const peak = Math.max(1, ...samples.map(series.value));
    const y = (v: number) => top + PANEL - (v / peak) * (PANEL - 4);
    body.push(rect(LEFT, top, plotW, PANEL, '#fafafa'), text(10, top + PANEL / 2 + 4, panel.label));
    body.push(text(LEFT - 4, top + 10, String(Math.round(peak)), 'text-anchor="end" fill="#777"'));
    for (let k = 1; k < samples.length; k++) {
      const a = samples[k - 1] as Sample;
      const b = samples[k] as Sample;
      body.push(line(x(a.atMs), y(series.value(a)), x(b.atMs), y(series.value(a)), series.colour));
      body.push(line(x(b.atMs), y(series.value(a)), x(b.atMs), y(series.value(b)), series.colour));
    }
  });
  // Labels on two rows, so that marks a few hundred ms apart stay readable.
  marks.forEach((mark, i) => {
    body.push(line(x(mark.atMs), TOP - 6, x(mark.atMs), height - 24, '#555', '3,3'));
    const label = `${mark.label} (${(mark.atMs / 1000).toFixed(2)} s)`;
    body.push(text(x(mark.atMs) + 3, height - 16 + (i % 2) * 12, label, 'fill="#555"'));
  });
  return svg(WIDTH, height, body, title);
}
