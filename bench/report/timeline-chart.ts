import type { TrialTimeline } from '../failover/measure';
import { line, rect, svg, text } from './svg';

const WIDTH = 900;
const HEIGHT = 130;
const LEFT = 60;
const RIGHT = 10;
const TOP = 28;
const BOTTOM = 22;

/**
 * Acknowledged writes per second over time for one trial: green where they reached the new primary
 * (or came before the fault), orange where a stale node acknowledged them, red ticks for errors the
 * app saw. Lines mark the fault (0), the new primary writable, and the harness done. `spanMs` is the
 * shared x range of the charts shown together, so they compare at a glance.
 */
export function timelineChart(t: TrialTimeline, spanMs: number, title: string): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const perSecond = 1000 / t.bucketMs;
  const peak = Math.max(1, ...t.acked.map((a, i) => (a + (t.ackedElsewhere[i] ?? 0)) * perSecond));
  const x = (ms: number) => LEFT + ((ms - t.fromMs) / spanMs) * plotW;
  const y = (rate: number) => TOP + plotH - (rate / peak) * plotH;
  const barW = (t.bucketMs / spanMs) * plotW;
  const body: string[] = [rect(LEFT, TOP, plotW, plotH, '#fafafa')];
  t.acked.forEach((a, i) => {
    const at = t.fromMs + i * t.bucketMs;
    if (at - t.fromMs > spanMs) return;
    const elsewhere = t.ackedElsewhere[i] ?? 0;
    if (a) body.push(rect(x(at), y(a * perSecond), barW, plotH - (y(a * perSecond) - TOP), '#2e7d32'));
    if (elsewhere) {
      const top = y((a + elsewhere) * perSecond);
      body.push(
        rect(
          x(at),
          top,
          barW,
          y(a * perSecond) - top,
          '#ef6c00',
          `${elsewhere} acknowledged by a stale node`,
        ),
      );
    }
    if (t.errors[i]) body.push(rect(x(at), TOP + plotH + 2, barW, 5, '#c62828', `${t.errors[i]} errors`));
  });
  // The markers can sit a few pixels apart, so they are named in a legend line, not on the plot.
  const mark = (ms: number, color: string) => {
    if (ms < t.fromMs || ms - t.fromMs > spanMs) return;
    body.push(line(x(ms), TOP, x(ms), TOP + plotH, color, '4 3'));
  };
  mark(0, '#c62828');
  mark(t.writableMs, '#1565c0');
  mark(t.doneMs, '#6a1b9a');
  const at = (ms: number) => `${ms >= 0 ? '+' : ''}${Math.round(ms)} ms`;
  body.push(text(LEFT, 23, 'fault (0)', 'fill="#c62828"'));
  body.push(text(LEFT + 70, 23, `new primary writable (${at(t.writableMs)})`, 'fill="#1565c0"'));
  body.push(text(LEFT + 260, 23, `harness done (${at(t.doneMs)})`, 'fill="#6a1b9a"'));
  body.push(
    text(
      LEFT + 420,
      23,
      'green: acked on new primary, orange: acked by stale node, red: errors',
      'fill="#555"',
    ),
  );
  // At most about a dozen second marks, on a 1/2/5/10 s step.
  const step = [1, 2, 5, 10, 20, 60].find((n) => spanMs / 1000 / n <= 12) ?? 60;
  for (let s = Math.ceil(t.fromMs / 1000 / step) * step; s * 1000 <= t.fromMs + spanMs; s += step) {
    body.push(text(x(s * 1000) - 8, HEIGHT - 6, `${s} s`, 'fill="#555"'));
  }
  body.push(text(4, TOP + 10, `${Math.round(peak)}/s`, 'fill="#555"'));
  body.push(text(4, TOP + plotH, '0', 'fill="#555"'));
  body.push(text(LEFT, 11, title, 'font-weight="bold"'));
  return svg(WIDTH, HEIGHT, body, title);
}
