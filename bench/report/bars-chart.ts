import { rect, svg, text } from './svg';

export interface BarGroup {
  label: string;
  bars: { name: string; value: number; color: string }[];
  /** Shown at the end of the group, e.g. the ratio. */
  note: string;
}

const WIDTH = 900;
const LEFT = 230;
const RIGHT = 150;
const BAR_H = 11;

/** Horizontal grouped bars on a shared scale (the overhead chart: raw vs ours per cell). */
export function barsChart(groups: readonly BarGroup[], unit: string, title: string): string {
  const peak = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const plotW = WIDTH - LEFT - RIGHT;
  const body: string[] = [text(4, 12, title, 'font-weight="bold"')];
  let y = 22;
  for (const g of groups) {
    body.push(text(4, y + BAR_H, g.label));
    g.bars.forEach((b, i) => {
      const w = (b.value / peak) * plotW;
      body.push(
        rect(LEFT, y + i * (BAR_H + 1), w, BAR_H, b.color, `${b.name}: ${Math.round(b.value)} ${unit}`),
      );
      body.push(text(LEFT + w + 4, y + i * (BAR_H + 1) + 9, `${Math.round(b.value)} ${unit}`, 'fill="#555"'));
    });
    body.push(text(WIDTH - RIGHT + 70, y + BAR_H, g.note));
    y += g.bars.length * (BAR_H + 1) + 8;
  }
  return svg(WIDTH, y + 4, body, title);
}
