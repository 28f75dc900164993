/**
 * Prints the latest tables of bench-report.json as Markdown, ready for docs/benchmarks.md:
 * `npx tsx bench/report/markdown.ts [folder]` (default: the repository root).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failoverMarkdown } from '../failover/print';
import { promotionMarkdown, promotionVerdicts } from '../failover/promotion-table';
import { describeMachine } from '../lib/machine';
import { heapLine, overheadTable, pairTitle, routingLines, verdictLines } from '../overhead/print';
import { REPO_ROOT } from '../peers/paths';
import { readReport } from './json';
import { ENGINE_TITLES, type FailoverSection, type OverheadSection } from './sections';

function failoverMd(f: FailoverSection): string[] {
  const out = [`### Failover: ${ENGINE_TITLES[f.engine]}`, ''];
  out.push(`- Command: \`${f.command}\` (${Math.round(f.wallMs / 60_000)} min for this engine)`);
  out.push(`- Machine: ${describeMachine(f.machine)}, ${f.machine.date}`);
  out.push(`- Server: ${f.server}; ${f.settings.trials} trial(s) per cell, a fresh cluster each`, '');
  out.push(failoverMarkdown(f.cells, f.settings.neverAfterMs), '');
  for (const c of f.clients)
    out.push(`- **${c.name}**: ${c.setup}${c.skipped ? ` (skipped: ${c.skipped})` : ''}`);
  out.push('');
  if (f.cells.some((c) => c.promoter === 'library')) {
    out.push(`#### Promotion by the library: ${ENGINE_TITLES[f.engine]}`, '');
    out.push(promotionMarkdown(f.cells, f.settings.neverAfterMs), '');
    for (const line of promotionVerdicts(f.cells)) out.push(`- ${line}`);
    out.push('');
  }
  return out;
}

function overheadMd(o: OverheadSection): string[] {
  const out = [`### Overhead: ${ENGINE_TITLES[o.engine]}`, ''];
  out.push(`- Command: \`${o.command}\``);
  out.push(`- Machine: ${describeMachine(o.machine)}, ${o.machine.date}`);
  out.push(`- Server: ${o.server}; ${o.settings.rounds} A/B rounds of ${o.settings.phaseMs} ms per cell`, '');
  for (const pair of o.pairs) {
    out.push(`#### ${pairTitle(pair)}`, '', overheadTable(pair.cells, true), '');
    for (const line of [...verdictLines(pair.verdict), heapLine(pair.heap)]) out.push(`- ${line}`);
    out.push('');
  }
  for (const line of routingLines(o.routing)) out.push(`- ${line}`);
  out.push('');
  return out;
}

export function reportMarkdown(dir: string): string {
  const report = readReport(dir);
  const out: string[] = [];
  for (const f of Object.values(report.failover ?? {})) out.push(...failoverMd(f as FailoverSection));
  for (const o of Object.values(report.overhead ?? {})) out.push(...overheadMd(o as OverheadSection));
  return out.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(reportMarkdown(process.argv[2] ?? REPO_ROOT));
}
