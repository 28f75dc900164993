import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../failover/types';

/**
 * bench-report.json holds the latest run of each bench for each engine: running one bench (or one
 * engine of it, `--engine mariadb`) replaces those sections and keeps the others, so the HTML report
 * always shows everything last measured, each section with its own command, machine and date.
 * Infinity ("never recovered") is written as the string "Infinity": JSON has no such number.
 */
export type Bench = 'overhead' | 'failover';
export type PerEngine = Partial<Record<Engine, unknown>>;
export type BenchReport = Partial<Record<Bench, PerEngine>>;

export const reportJsonPath = (dir: string) => join(dir, 'bench-report.json');

export function readReport(dir: string): BenchReport {
  const path = reportJsonPath(dir);
  if (!existsSync(path)) return {};
  try {
    const report = JSON.parse(readFileSync(path, 'utf8'), (_key, value) =>
      value === 'Infinity' ? Number.POSITIVE_INFINITY : value,
    ) as Record<string, unknown>;
    return { overhead: perEngine(report.overhead), failover: perEngine(report.failover) };
  } catch {
    return {};
  }
}

/** A report from before the per-engine sections (one flat section per bench) is dropped: run it again. */
function perEngine(section: unknown): PerEngine | undefined {
  if (typeof section !== 'object' || section === null || 'command' in section) return undefined;
  return section as PerEngine;
}

export function writeSections(dir: string, bench: Bench, sections: PerEngine): BenchReport {
  const previous = readReport(dir);
  const report: BenchReport = { ...previous, [bench]: { ...previous[bench], ...sections } };
  const text = JSON.stringify(
    report,
    (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : 'Infinity') : v),
    2,
  );
  writeFileSync(reportJsonPath(dir), `${text}\n`);
  return report;
}
