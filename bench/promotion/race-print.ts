import { max, median, sumCounts } from '../lib/stats';
import { formatMs, textTable } from '../lib/table';
import { promotionLine, skippedText } from './events';
import type { RaceTrial } from './race-trial';

const TITLES: Record<RaceTrial['engine'], string> = { postgres: 'PostgreSQL', mysql: 'MariaDB' };

const measured = (outages: RaceTrial['outages']): number[] =>
  outages.flatMap((o) => (o === undefined ? [] : [o ?? Number.POSITIVE_INFINITY]));

/** One trial as the bench prints it while running. */
export function raceTrialLine(t: RaceTrial, neverAfterMs: number): string {
  const outages = measured(t.outages);
  const parts = [
    t.promotion ? promotionLine(t.promotion) : 'no promotion count',
    `writable after ${formatMs(t.writableAfterMs)}, promoted event after ${formatMs(t.promotedAfterMs)}`,
    `outage per instance median ${formatMs(median(outages), neverAfterMs)}, max ${formatMs(max(outages), neverAfterMs)} (${outages.length} reported)`,
  ];
  if (Object.keys(t.errors).length) parts.push(`write errors ${JSON.stringify(t.errors)}`);
  if (t.notes.length) parts.push(`notes: ${t.notes.join('; ')}`);
  if (t.incidents.length)
    parts.push(`incidents: ${t.incidents.map((i) => `${i.what}: ${i.message}`).join('; ')}`);
  if (t.error) parts.push(`FAILED: ${t.error}`);
  return `${TITLES[t.engine]} race trial ${t.trial}: ${parts.join('; ')}`;
}

const HEADER = [
  'engine',
  'instances',
  'trials',
  'exactly one promotion',
  'promotions per trial',
  'writable after kill (median / max)',
  'promoted event after kill (median / max)',
  'promoter tookMs (median / max)',
  'outage per instance (median / max)',
  'instances never recovered',
  'promotionSkipped seen (all instances, all trials)',
];

const pair = (values: number[], neverAfterMs?: number) =>
  `${formatMs(median(values), neverAfterMs)} / ${formatMs(max(values), neverAfterMs)}`;

/** One row per engine: the promotions counted, the times to the promotion, every instance's outage. */
export function raceTable(trials: readonly RaceTrial[], instances: number, neverAfterMs: number): string {
  const engines = [...new Set(trials.map((t) => t.engine))];
  const rows = engines.map((engine) => {
    const mine = trials.filter((t) => t.engine === engine);
    const counts = mine.map((t) => t.promotion?.promoted ?? 0);
    const outages = mine.flatMap((t) => measured(t.outages));
    const skipped = sumCounts(mine.map((t) => t.promotion?.skipped ?? {}));
    return [
      TITLES[engine],
      String(instances),
      String(mine.length),
      `${counts.filter((n) => n === 1).length} of ${mine.length}`,
      counts.join(', '),
      pair(mine.flatMap((t) => (t.writableAfterMs === undefined ? [] : [t.writableAfterMs]))),
      pair(mine.flatMap((t) => (t.promotedAfterMs === undefined ? [] : [t.promotedAfterMs]))),
      pair(mine.flatMap((t) => t.promotion?.promotions.map((p) => p.tookMs) ?? [])),
      pair(outages, neverAfterMs),
      String(outages.filter((o) => o === Number.POSITIVE_INFINITY).length),
      skippedText(skipped),
    ];
  });
  return textTable(HEADER, rows);
}

/** "exactly one promotion in N of M trials", per engine. */
export function raceVerdicts(trials: readonly RaceTrial[]): string[] {
  return [...new Set(trials.map((t) => t.engine))].map((engine) => {
    const mine = trials.filter((t) => t.engine === engine);
    const one = mine.filter((t) => t.promotion?.promoted === 1).length;
    return `${TITLES[engine]}: exactly one promotion in ${one} of ${mine.length} trials`;
  });
}
