/**
 * `npx tsx bench/exactly-once.ts` (after `npm run build`): what `exactlyOnce: true` costs a write.
 * The same single-row INSERT through the same failover-pool pool, plain and exactly once (BEGIN,
 * the statement, the idempotency key's INSERT, COMMIT), in alternating runs, on PostgreSQL and
 * MariaDB 3-node clusters with asynchronous and with synchronous replication. `--smoke`: a quick
 * check that the script works, exiting non-zero when anything failed.
 */
import { measureCell, type OnceCell } from './exactly-once/cell';
import { ONCE_ENGINES, type OnceEngineKit } from './exactly-once/engines';
import { parseOncePlan } from './exactly-once/plan';
import { onceTable, rowsProblem } from './exactly-once/print';
import { describeMachine, machineInfo } from './lib/machine';
import type { OverheadEngine } from './overhead/workloads';
import { ENGINE_TITLES } from './report/sections';

const argv = process.argv.slice(2);
const plan = parseOncePlan(argv);
const machineLine = describeMachine(machineInfo());
const command = `npx tsx bench/exactly-once.ts${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`;
console.log(`Exactly-once bench on ${machineLine}`);
console.log(
  `${plan.runs} alternating runs of ${plan.runMs} ms per side and cell, after ${plan.warmUpMs} ms of warm-up per side.\n`,
);

const measured: { engine: OverheadEngine; cells: OnceCell[] }[] = [];
const failures: string[] = [];

/** Every cell of one engine in one replication mode, on a cluster of its own. */
async function measureMode(kit: OnceEngineKit, mode: (typeof plan.replications)[number]): Promise<void> {
  const replication = kit.replicationLabel(mode);
  const cells: OnceCell[] = [];
  // Cells measured before a failure are still reported; the failure makes the exit code non-zero.
  measured.push({ engine: kit.engine, cells });
  await kit.withSubject(mode, async (subject) => {
    console.log(`${ENGINE_TITLES[kit.engine]}: ${subject.server}`);
    for (const callers of plan.callers) {
      const cell = await measureCell(subject, replication, callers, plan);
      cells.push(cell);
      console.log(`  ${callers} callers: ratio ${cell.result.ratio.toFixed(3)}`);
      const problem = rowsProblem(kit.engine, cell);
      if (problem) failures.push(problem);
    }
  });
}

for (const kit of ONCE_ENGINES.filter((k) => plan.engines.length === 0 || plan.engines.includes(k.engine))) {
  const unavailable = kit.unavailable?.();
  if (unavailable) {
    console.log(`Skipping ${ENGINE_TITLES[kit.engine]}: ${unavailable}`);
    continue;
  }
  for (const mode of plan.replications) {
    try {
      await measureMode(kit, mode);
    } catch (error) {
      failures.push(`${ENGINE_TITLES[kit.engine]} ${mode}: ${(error as Error).stack ?? String(error)}`);
      console.error(failures.at(-1));
    }
  }
}

console.log(`\n${onceTable(measured)}\n`);
console.log(`Machine: ${machineLine}`);
console.log(`Command: ${command}`);
if (failures.length > 0) {
  console.error(`\nFAILED (${failures.length}):\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}
