/**
 * `npx tsx bench/reads.ts` (after `npm run build`): reads from replicas (docs/reads.md), on PostgreSQL
 * and MariaDB 3-node clusters with asynchronous replication, one failover-pool pool each.
 * 1. Throughput: 8 callers running an indexed point read, primary-only (plain `pool.query`) against
 *    `readFrom: 'replica'`, in alternating runs.
 * 2. The wait `after` adds: write, `pool.causalToken()`, read the row from a replica `after` the
 *    token, against the same loop reading from a replica without it; with the replicas on time, then
 *    delayed on purpose. Who served each read is asked in the read itself (the server's port).
 * `--smoke`: a quick check that the script works, exiting non-zero when anything failed. Clusters
 * are destroyed when the bench ends, fails, or is interrupted (Ctrl-C exits through the harness's
 * exit hook, which kills the servers; its reaper process covers a kill -9 of the bench).
 */
import { describeMachine, machineInfo } from './lib/machine';
import { ITEM_ROWS } from './overhead/workloads';
import { measureCausal } from './reads/causal';
import { POOL_SIZE, READS_ENGINES, READS_OPTIONS, type ReadsEngineKit } from './reads/engines';
import { replicasFit } from './reads/fit';
import { type LagCell, lagTable, measureLag } from './reads/lag-measure';
import { parseReadsPlan } from './reads/plan';
import { causalTable, type EngineCells, problems, throughputTable } from './reads/print';
import { measureThroughput } from './reads/throughput';
import { ENGINE_TITLES } from './report/sections';

const argv = process.argv.slice(2);
const plan = parseReadsPlan(argv);
const machine = machineInfo();
const machineLine = describeMachine(machine);
const command = `npx tsx bench/reads.ts${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping; the clusters' servers are killed on exit`);
    process.exit(130);
  });
}

console.log(`Reads-from-replicas bench on ${machineLine}`);
console.log(
  `Note: the ${machine.cores} cores are shared by the 3 servers of each cluster and the bench itself: ` +
    'spreading reads over the replicas gives them no more CPU here, so the throughput ratio says what ' +
    'routing costs or saves on one machine, not what replicas on their own machines would add.',
);
console.log(
  `Pool: ${POOL_SIZE} connections per node, reads: { maxLagMs: ${READS_OPTIONS.maxLagMs} }, causalWaitMs default (1000 ms).`,
);
console.log(
  `Each cell: ${plan.runs} alternating runs of ${plan.runMs} ms per side, after ${plan.warmUpMs} ms of warm-up per side.\n` +
    `Throughput: ${plan.readers} callers, point SELECT by primary key on ${ITEM_ROWS} rows.\n` +
    `After a token: ${plan.writers} callers, each in a loop: INSERT a row, then read it from a replica ` +
    '(after a token taken right after the write, or plainly: the baseline); only the read is timed.\n',
);

const measured: EngineCells[] = [];
const lags: { engine: ReadsEngineKit['engine']; cells: LagCell[] }[] = [];
/** How long each lag cell samples (the monitor probes every second). */
const LAG_MS = plan.smoke ? 3_000 : 20_000;
const failures: string[] = [];

async function measureEngine(kit: ReadsEngineKit): Promise<void> {
  const cells: EngineCells = { engine: kit.engine, causal: [] };
  // Cells measured before a failure are still reported; the failure makes the exit code non-zero.
  measured.push(cells);
  await kit.withSubject(async (subject) => {
    const title = ENGINE_TITLES[kit.engine];
    cells.subject = subject;
    console.log(`${title}: ${subject.server}`);
    await replicasFit(subject, READS_OPTIONS.maxLagMs);
    cells.throughput = await measureThroughput(subject, plan);
    console.log(`  throughput: ratio replica/primary ${cells.throughput.result.ratio.toFixed(3)}`);
    cells.causal.push(await measureCausal(subject, 'not delayed', plan));
    console.log('  after a token, replicas not delayed: done');
    const lag = {
      engine: kit.engine,
      cells: await measureLag(subject, subject.lagMeasures, 'not delayed', LAG_MS),
    };
    lags.push(lag);
    const delayed = await subject.delayReplicas();
    await replicasFit(subject, READS_OPTIONS.maxLagMs);
    lag.cells.push(...(await measureLag(subject, subject.lagMeasures, delayed, LAG_MS)));
    cells.causal.push(await measureCausal(subject, delayed, plan));
    console.log(`  after a token, replicas ${delayed}: done`);
  });
}

for (const kit of READS_ENGINES.filter((k) => plan.engines.length === 0 || plan.engines.includes(k.engine))) {
  const unavailable = kit.unavailable?.();
  if (unavailable) {
    console.log(`Skipping ${ENGINE_TITLES[kit.engine]}: ${unavailable}`);
    continue;
  }
  try {
    await measureEngine(kit);
  } catch (error) {
    failures.push(`${ENGINE_TITLES[kit.engine]}: ${(error as Error).stack ?? String(error)}`);
    console.error(failures.at(-1));
  }
}
failures.push(...measured.flatMap(problems));

console.log(`\nRead throughput, primary only against readFrom: 'replica'\n\n${throughputTable(measured)}\n`);
console.log(`A read after a causal token against a plain replica read\n\n${causalTable(measured)}\n`);
console.log(
  `How each measure read the replicas' staleness (lagMs, sampled every 200 ms for ${LAG_MS / 1000} s ` +
    'per cell under one writer every 20 ms)\n\n' +
    `${lagTable(lags)}\n`,
);
console.log(`Machine: ${machineLine}`);
console.log(`Command: ${command}`);
if (failures.length > 0) {
  console.error(`\nFAILED (${failures.length}):\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}
