/**
 * One trial as a small SVG strip, aligned on the moment the fault struck (x = 0) so that the
 * trials of a cell line up: green bars are acknowledged writes per 100 ms, red bands the outages
 * with their length, vertical lines the fault and the recovery steps, ticks below the writes that
 * failed (grey) or ended with an unknown outcome (purple).
 */
import type { TrialResult } from './results';

export interface TimelineAxis {
  /** ms relative to the fault: the left and right edges. */
  fromMs: number;
  toMs: number;
  /** Bucket count drawn full height: the cell's busiest 100 ms. */
  maxPerBucket: number;
}

const WIDTH = 960;
const LEFT = 70;
const RIGHT = 10;
const TOP = 26;
const PLOT_HEIGHT = 40;
const HEIGHT = TOP + PLOT_HEIGHT + 30;
const EVENT_COLORS = { fault: '#c62828', promote: '#1565c0', heal: '#2e7d32', other: '#616161' } as const;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The axis shared by a cell's trials. */
export function axisFor(trials: readonly TrialResult[]): TimelineAxis {
  const drawn = trials.filter((trial) => trial.durationMs > 0);
  return {
    fromMs: Math.min(0, ...drawn.map((trial) => -trial.faultAtMs)),
    toMs: Math.max(1_000, ...drawn.map((trial) => trial.durationMs - trial.faultAtMs)),
    maxPerBucket: Math.max(1, ...drawn.flatMap((trial) => trial.okPerBucket)),
  };
}

export function timelineSvg(trial: TrialResult, axis: TimelineAxis): string {
  const span = axis.toMs - axis.fromMs;
  const x = (msFromStart: number) =>
    LEFT + ((msFromStart - trial.faultAtMs - axis.fromMs) / span) * (WIDTH - LEFT - RIGHT);
  const parts: string[] = [];
  parts.push(`<text x="4" y="${TOP + PLOT_HEIGHT / 2 + 4}" font-size="12">trial ${trial.trial}</text>`);
  parts.push(
    `<rect x="${LEFT}" y="${TOP}" width="${WIDTH - LEFT - RIGHT}" height="${PLOT_HEIGHT}" fill="#fafafa" stroke="#ddd"/>`,
  );

  for (const outage of trial.outages) {
    const x1 = x(outage.startMs);
    const width = Math.max(1, x(outage.endMs) - x1);
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${TOP}" width="${width.toFixed(1)}" height="${PLOT_HEIGHT}" fill="#e53935" fill-opacity="0.25"/>`,
    );
    parts.push(
      `<text x="${(x1 + width / 2).toFixed(1)}" y="${TOP + 12}" font-size="10" text-anchor="middle" fill="#b71c1c">${outage.endMs - outage.startMs} ms</text>`,
    );
  }

  const barWidth = Math.max(1, (trial.bucketMs / span) * (WIDTH - LEFT - RIGHT) - 0.5);
  trial.okPerBucket.forEach((count, i) => {
    if (count === 0) return;
    const height = (count / axis.maxPerBucket) * (PLOT_HEIGHT - 14);
    parts.push(
      `<rect x="${x(i * trial.bucketMs).toFixed(1)}" y="${(TOP + PLOT_HEIGHT - height).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="#43a047"/>`,
    );
  });

  for (const failure of trial.failures) {
    const color = failure.outcome === 'unknown' ? '#8e24aa' : '#9e9e9e';
    const at = x(failure.atMs).toFixed(1);
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${TOP + PLOT_HEIGHT + 2}" y2="${TOP + PLOT_HEIGHT + 9}" stroke="${color}"/>`,
    );
  }

  trial.events.forEach((event, i) => {
    const at = x(event.atMs).toFixed(1);
    const color = EVENT_COLORS[event.kind];
    // Labels alternate between two rows so that close events stay readable.
    const labelY = i % 2 === 0 ? 10 : 21;
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${labelY + 2}" y2="${TOP + PLOT_HEIGHT}" stroke="${color}" stroke-width="1.5"/>`,
    );
    parts.push(
      `<text x="${at}" y="${labelY}" font-size="10" fill="${color}">${escapeXml(event.label)}</text>`,
    );
  });

  const tickStep = span > 20_000 ? 5_000 : 1_000;
  for (let t = Math.ceil(axis.fromMs / tickStep) * tickStep; t <= axis.toMs; t += tickStep) {
    const at = x(t + trial.faultAtMs).toFixed(1);
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${TOP + PLOT_HEIGHT + 10}" y2="${TOP + PLOT_HEIGHT + 14}" stroke="#999"/>`,
    );
    parts.push(
      `<text x="${at}" y="${TOP + PLOT_HEIGHT + 25}" font-size="10" text-anchor="middle" fill="#666">${t / 1000} s</text>`,
    );
  }

  const title = `${trial.fault} ${trial.replication} trial ${trial.trial}: outage ${trial.outageMs} ms`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">` +
    `<title>${escapeXml(title)}</title>${parts.join('')}</svg>`
  );
}
