/** The readable report of a history check. */
import type { CheckResult, Outage } from './history';

const MAX_IDS = 10;

function ids(list: readonly string[]): string {
  const shown = list.slice(0, MAX_IDS).join(', ');
  return list.length > MAX_IDS ? `${shown}, ... (${list.length - MAX_IDS} more)` : shown;
}

const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;

/** A short multi-line report: verdict, counts, anomalies, errors, outages. */
export function formatReport(result: CheckResult): string {
  const c = result.counts;
  const lines: string[] = [];
  const problems = [
    `${result.lost.length} lost`,
    `${result.duplicates.length} duplicated`,
    `${result.failedButApplied.length} failed but applied`,
  ].join(', ');
  lines.push(`History check: ${result.ok ? 'OK' : 'FAILED'} (${problems})`);
  lines.push(
    `ops: ${c.ops} (ok ${c.ok}, failed ${c.fail}, unknown ${c.unknown}${c.pending ? `, pending ${c.pending}` : ''})` +
      ` on ${c.ids} ids; final rows: ${c.finalRows} (${c.finalDistinct} distinct)`,
  );
  if (result.lost.length) lines.push(`lost (acknowledged, absent): ${ids(result.lost)}`);
  if (result.duplicates.length) {
    lines.push(`duplicated: ${ids(result.duplicates.map((d) => `${d.id} (x${d.count})`))}`);
  }
  if (result.failedButApplied.length) {
    lines.push(`failed but applied: ${ids(result.failedButApplied)}`);
  }
  const u = result.unknown;
  if (u.applied.length || u.notApplied.length) {
    lines.push(
      `unknown outcome: ${u.applied.length + u.notApplied.length} (applied ${u.applied.length}, not applied ${u.notApplied.length})`,
    );
  }
  if (result.unexpected.length) lines.push(`present but never attempted: ${ids(result.unexpected)}`);
  if (result.errors.length) {
    const parts = result.errors.map((e) => {
      const split = [e.fail ? `${e.fail} failed` : '', e.unknown ? `${e.unknown} unknown` : ''].filter(
        Boolean,
      );
      return `${e.name} x${e.count} (${split.join(', ')})`;
    });
    lines.push(`errors: ${parts.join('; ')}`);
  }
  const origin = result.startedAt ?? 0;
  const at = (o: Outage): string => `${ms(o.start - origin)} .. ${ms(o.end - origin)}`;
  if (result.outages.length === 0) {
    lines.push(`outages (no successful write for > ${ms(result.gapThresholdMs)}): none`);
  } else {
    const longest = result.longestOutage!;
    lines.push(
      `outages (no successful write for > ${ms(result.gapThresholdMs)}): ${result.outages.length}, ` +
        `total ${ms(result.outageMs)}, longest ${ms(longest.durationMs)} at ${at(longest)}` +
        (longest.edge === 'between' ? '' : ` (${longest.edge})`),
    );
  }
  return lines.join('\n');
}
