/** Writes a run's `chaos-report.json` and `chaos-report.html` side by side. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { reportHtml } from './html';
import type { ChaosReport } from './results';

export async function writeChaosReport(
  report: ChaosReport,
  directory = '.',
): Promise<{ json: string; html: string }> {
  const json = resolve(join(directory, 'chaos-report.json'));
  const html = resolve(join(directory, 'chaos-report.html'));
  await mkdir(resolve(directory), { recursive: true });
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, reportHtml(report));
  return { json, html };
}
