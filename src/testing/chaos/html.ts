/** `chaos-report.html`: the summary table, then every cell with one timeline per trial. Self-contained. */
import type { ChaosReport, TrialResult } from './results';
import { cellRow, formatErrors, trialNotes } from './table';
import { axisFor, escapeXml, timelineSvg } from './timeline-svg';

const HEADERS = [
  'engine',
  'fault',
  'replication',
  'trials',
  'promotions',
  'ok writes',
  'lost',
  'duplicated',
  'failed but applied',
  'unknown (applied)',
  'strays',
  'hung',
  'outage median',
  'outage max',
  'verdict',
  'errors by class',
];

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin-bottom: 24px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
tr.fail td { background: #ffebee; } tr.loss-expected td { background: #fff8e1; }
section { margin: 28px 0; } h2 { font-size: 16px; margin-bottom: 4px; }
.legend span { display: inline-block; margin-right: 16px; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
.problems { color: #b71c1c; font-size: 12px; margin: 0 0 6px 70px; }
`;

const LEGEND = `<p class="legend">
<span><i class="swatch" style="background:#43a047"></i>acknowledged writes per 100 ms</span>
<span><i class="swatch" style="background:#e53935;opacity:.35"></i>outage (no acknowledged write)</span>
<span><i class="swatch" style="background:#c62828"></i>fault</span>
<span><i class="swatch" style="background:#1565c0"></i>promotion</span>
<span><i class="swatch" style="background:#2e7d32"></i>healed</span>
<span><i class="swatch" style="background:#9e9e9e"></i>write failed (not applied)</span>
<span><i class="swatch" style="background:#8e24aa"></i>write outcome unknown</span>
</p>`;

function problemsOf(trial: TrialResult): string {
  const notes = trialNotes(trial).map((note) => (trial.harnessError ? `harness: ${note}` : note));
  const { examples } = trial;
  if (trial.lost) notes.push(`lost ${trial.lost}: ${examples.lost.join(', ')}`);
  if (trial.duplicated) notes.push(`duplicated ${trial.duplicated}: ${examples.duplicated.join(', ')}`);
  if (trial.failedButApplied) {
    notes.push(`failed but applied ${trial.failedButApplied}: ${examples.failedButApplied.join(', ')}`);
  }
  if (trial.strays) notes.push(`strays ${trial.strays}: ${examples.strays.join(', ')}`);
  if (trial.hung) notes.push(`hung ${trial.hung}: writes that never ended`);
  if (trial.foreignPrimaries.length) notes.push(`pool wrote to ${trial.foreignPrimaries.join(', ')}`);
  if (Object.keys(trial.errors).length) notes.push(`errors: ${formatErrors(trial.errors)}`);
  if (Object.keys(trial.promotionSkips).length) {
    notes.push(`not promoting: ${formatErrors(trial.promotionSkips)}`);
  }
  return notes.length ? `<p class="problems">${escapeXml(notes.join(' · '))}</p>` : '';
}

export function reportHtml(report: ChaosReport): string {
  const rows = report.cells
    .map(
      (cell) =>
        `<tr class="${cell.verdict}">${cellRow(cell)
          .map((v) => `<td>${escapeXml(v)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  const sections = report.cells.map((cell) => {
    const trials = report.trials.filter(
      (t) => t.engine === cell.engine && t.fault === cell.fault && t.replication === cell.replication,
    );
    const axis = axisFor(trials);
    const strips = trials
      .map((trial) => `<div>${timelineSvg(trial, axis)}${problemsOf(trial)}</div>`)
      .join('\n');
    return `<section><h2>${escapeXml(`${cell.description}: ${cell.title}, ${cell.replication} replication`)} (${cell.verdict})</h2>\n${strips}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>failover-pool chaos report</title><style>${STYLE}</style></head>
<body>
<h1>failover-pool chaos report</h1>
<p>Started ${escapeXml(report.startedAt)}; ${report.trials.length} trials, ${report.trialsPerCell} per cell, in ${Math.round(report.durationMs / 1000)} s.
Outage: time without an acknowledged write in a trial. Strays: writes that reached a superseded or never-promoted node.</p>
<table><thead><tr>${HEADERS.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${rows}
</tbody></table>
${LEGEND}
${sections.join('\n')}
</body></html>
`;
}
