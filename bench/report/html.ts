import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failoverMarkdown, scenarioName } from '../failover/print';
import { promotionMarkdown, promotionVerdicts } from '../failover/promotion-table';
import type { TrialResult } from '../failover/trial';
import { describeMachine } from '../lib/machine';
import { heapLine, overheadTable, pairTitle, routingLines, verdictLines } from '../overhead/print';
import { barsChart } from './bars-chart';
import type { BenchReport } from './json';
import { ENGINE_TITLES, type FailoverSection, type OverheadSection } from './sections';
import { esc } from './svg';
import { timelineChart } from './timeline-chart';

const STYLE = `body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f0f0f0}.note{color:#555;font-size:13px}svg{display:block;margin:6px 0}`;

/** Writes bench-report.html next to the JSON, from every section it holds (bench x engine). */
export function writeHtmlReport(dir: string, report: BenchReport): string {
  const path = join(dir, 'bench-report.html');
  const parts = [
    `<!doctype html><html><head><meta charset="utf-8"><title>failover-pool benchmarks</title><style>${STYLE}</style></head><body>`,
    '<h1>failover-pool benchmarks</h1>',
    '<p class="note">Medians over trials or rounds, each against a baseline measured in the same run. See docs/benchmarks.md for what is measured and how.</p>',
  ];
  for (const section of Object.values(report.failover ?? {}))
    parts.push(failoverHtml(section as FailoverSection));
  for (const section of Object.values(report.overhead ?? {}))
    parts.push(overheadHtml(section as OverheadSection));
  parts.push('</body></html>');
  writeFileSync(path, parts.join('\n'));
  return path;
}

/** Markdown table -> HTML table (the tables are built once, as Markdown, for docs and for here). */
function mdToHtml(markdown: string): string {
  const lines = markdown.split('\n').filter((_line, i) => i !== 1);
  const cells = (l: string) =>
    l
      .slice(2, -2)
      .split(/(?<!\\) \| /)
      .map((c) => esc(c.replaceAll('\\|', '|')));
  const [head, ...body] = lines;
  return `<table><tr>${cells(head ?? '')
    .map((c) => `<th>${c}</th>`)
    .join('')}</tr>${body
    .map(
      (l) =>
        `<tr>${cells(l)
          .map((c) => `<td>${c}</td>`)
          .join('')}</tr>`,
    )
    .join('')}</table>`;
}

function header(
  title: string,
  s: { command: string; machine: OverheadSection['machine']; server: string },
): string {
  return `<h2>${esc(title)}</h2><p class="note">Command: <code>${esc(s.command)}</code><br>Machine: ${esc(describeMachine(s.machine))}, ${esc(s.machine.date)}<br>Server: ${esc(s.server)}</p>`;
}

function failoverHtml(f: FailoverSection): string {
  const out = [header(`Failover: ${ENGINE_TITLES[f.engine]}`, f)];
  out.push(
    `<p class="note">${f.settings.trials} trial(s) per cell, fresh cluster each; ${f.settings.callers} callers, ${f.settings.pauseMs} ms pause between writes; "never" = no write acknowledged on the new primary within ${f.settings.neverAfterMs / 1000} s of it becoming writable.</p>`,
  );
  out.push(mdToHtml(failoverMarkdown(f.cells, f.settings.neverAfterMs)));
  out.push('<ul class="note">');
  for (const c of f.clients)
    out.push(
      `<li><b>${esc(c.name)}</b>: ${esc(c.setup)}${c.skipped ? ` (skipped: ${esc(c.skipped)})` : ''}</li>`,
    );
  out.push('</ul>');
  if (f.cells.some((c) => c.promoter === 'library')) {
    out.push(`<h3>Promotion by the library: ${esc(ENGINE_TITLES[f.engine])}</h3>`);
    out.push(mdToHtml(promotionMarkdown(f.cells, f.settings.neverAfterMs)));
    out.push(`<p class="note">${promotionVerdicts(f.cells).map(esc).join('<br>')}</p>`);
  }
  const scenarios = [...new Set(f.trials.map(scenarioName))];
  for (const scenario of scenarios) {
    const trials = f.trials.filter((t) => scenarioName(t) === scenario);
    const chosen = [...new Set(trials.map((t) => t.client))].flatMap((client) => {
      const t = representative(trials.filter((x) => x.client === client));
      return t?.timeline ? [t] : [];
    });
    if (chosen.length === 0) continue;
    const span = Math.max(
      ...chosen.map((t) => (t.timeline?.acked.length ?? 0) * (t.timeline?.bucketMs ?? 0)),
    );
    out.push(
      `<h3>Timeline: ${esc(ENGINE_TITLES[f.engine])}, ${esc(scenario)}</h3><p class="note">The trial with the median outage for each client. Green: acknowledged writes per second that reached the new primary; orange: acknowledged by a stale node; red ticks: errors the app saw.</p>`,
    );
    for (const t of chosen) {
      if (t.timeline) out.push(timelineChart(t.timeline, span, `${t.client} (trial ${t.trial})`));
    }
  }
  return out.join('\n');
}

/** The trial whose outage is the median (lower middle) of the client's trials. */
function representative(trials: TrialResult[]): TrialResult | undefined {
  const measured = trials
    .filter((t) => t.metrics)
    .sort((a, b) => (a.metrics?.outageMs ?? 0) - (b.metrics?.outageMs ?? 0));
  return measured[Math.floor((measured.length - 1) / 2)];
}

function overheadHtml(o: OverheadSection): string {
  const out = [header(`Overhead: ${ENGINE_TITLES[o.engine]}`, o)];
  out.push(
    `<p class="note">${o.settings.rounds} A/B rounds of ${o.settings.phaseMs} ms per cell, alternating order; pool size ${o.settings.poolSize} on both sides.</p>`,
  );
  for (const pair of o.pairs) {
    out.push(`<h3>${esc(pairTitle(pair))}</h3>`);
    out.push(mdToHtml(overheadTable(pair.cells, true)));
    out.push(
      barsChart(
        pair.cells.map((c) => ({
          label: `${c.workload}, ${c.callers} callers`,
          bars: [
            { name: 'raw', value: c.raw.throughput, color: '#90a4ae' },
            { name: 'failover-pool', value: c.ours.throughput, color: '#2e7d32' },
          ],
          note: `ratio ${c.ratio.toFixed(3)}`,
        })),
        'ops/s',
        `Throughput, ${pair.raw} (grey) vs ${pair.ours} (green)`,
      ),
    );
    out.push(
      `<p class="note">${[...verdictLines(pair.verdict), heapLine(pair.heap)].map(esc).join('<br>')}</p>`,
    );
  }
  out.push(`<p class="note">${routingLines(o.routing).map(esc).join('<br>')}</p>`);
  return out.join('\n');
}
