/**
 * `npm run bench:overhead`: what failover-pool costs in normal running, against the raw driver pool on
 * the same primary, measured side by side in one run, on PostgreSQL and on MariaDB. See
 * docs/benchmarks.md.
 */
import { parseBenchArgs, wantsEngine } from './lib/args';
import { describeMachine, machineInfo } from './lib/machine';
import { compareCell } from './overhead/compare';
import { OVERHEAD_ENGINES } from './overhead/engines';
import { measureHeap } from './overhead/heap';
import { heapLine, overheadTable, pairTitle, routingLines, verdictLines, verdictOf } from './overhead/print';
import { measureRouting } from './overhead/routing';
import type { OverheadPair } from './overhead/subjects';
import { WORKLOADS } from './overhead/workloads';
import { REPO_ROOT } from './peers/paths';
import { writeHtmlReport } from './report/html';
import { writeSections } from './report/json';
import { ENGINE_TITLES, type OverheadPairSection, type OverheadSection } from './report/sections';

const CALLERS = [1, 8, 32];
/** pg.Pool's default `max` and mysql2's default `connectionLimit`; both sides get the same. */
const POOL_SIZE = 10;

const args = parseBenchArgs(process.argv.slice(2), REPO_ROOT);
const machine = machineInfo();
const command = `npm run bench:overhead${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
console.log(`Overhead bench on ${describeMachine(machine)}`);
console.log(
  `${args.rounds} A/B rounds of ${args.phaseMs} ms per cell, pool size ${POOL_SIZE} on both sides.\n`,
);

/** Every cell of one pair, heap first (in a process that has not yet made the A/B phases' garbage). */
async function measurePair(pair: OverheadPair): Promise<OverheadPairSection> {
  console.log(`${pairTitle(pair)}:`);
  const heap = await measureHeap(pair, 10);
  const sides = { raw: pair.open('raw', POOL_SIZE), ours: pair.open('ours', POOL_SIZE) };
  const cells = [];
  try {
    for (const workload of WORKLOADS) {
      for (const callers of CALLERS) {
        const cell = await compareCell(sides, pair.engine, workload, callers, args.rounds, args.phaseMs);
        cells.push(cell);
        console.log(`  ${workload.name}, ${callers} callers: ratio ${cell.ratio.toFixed(3)}`);
      }
    }
  } finally {
    await Promise.all([sides.raw.close(), sides.ours.close()]);
  }
  return { raw: pair.raw, ours: pair.ours, cells, verdict: verdictOf(cells), heap };
}

const measured: Omit<OverheadSection, 'routing'>[] = [];
for (const kit of OVERHEAD_ENGINES.filter((k) => wantsEngine(args, k.engine))) {
  const unavailable = kit.unavailable?.();
  if (unavailable) {
    console.log(`Skipping ${ENGINE_TITLES[kit.engine]}: ${unavailable}`);
    continue;
  }
  const section = await kit.withPairs(async (server, pairs) => {
    console.log(`${ENGINE_TITLES[kit.engine]}: ${server}`);
    const results: OverheadPairSection[] = [];
    for (const pair of pairs) results.push(await measurePair(pair));
    return { server, pairs: results };
  });
  measured.push({
    engine: kit.engine,
    command,
    machine,
    settings: {
      poolSize: POOL_SIZE,
      callers: CALLERS,
      rounds: args.rounds,
      phaseMs: args.phaseMs,
      smoke: args.smoke,
    },
    ...section,
  });
}
const routing = await measureRouting();

const sections: Partial<Record<OverheadSection['engine'], OverheadSection>> = {};
for (const section of measured) {
  sections[section.engine] = { ...section, routing };
  for (const pair of section.pairs) {
    console.log(`\n${ENGINE_TITLES[section.engine]}, ${section.server}: ${pairTitle(pair)}\n`);
    console.log(overheadTable(pair.cells));
    console.log();
    for (const line of [...verdictLines(pair.verdict), heapLine(pair.heap)]) console.log(line);
  }
}
console.log();
for (const line of routingLines(routing)) console.log(line);

const report = writeSections(args.out, 'overhead', sections);
const html = writeHtmlReport(args.out, report);
console.log(`\nWrote ${args.out}/bench-report.json and ${html}`);
