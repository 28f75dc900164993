/**
 * `npm run bench:race`: many app instances, each its own Node process with its own pool and
 * promotion by the library on, against one 3-node cluster (synchronous replication), all writing a
 * little; then kill -9 of the primary, and nobody else to repair it. Per trial (a fresh cluster
 * each): how many `promoted` events all the instances emitted together (exactly one is right), how
 * soon the new primary took writes, and each instance's outage. See docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { ENGINES } from './failover/clients/index';
import { engineOf } from './lib/args';
import { describeMachine, machineInfo } from './lib/machine';
import { raceTable, raceTrialLine, raceVerdicts } from './promotion/race-print';
import { type RaceSettings, type RaceTrial, runRaceTrial } from './promotion/race-trial';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    trials: { type: 'string' },
    instances: { type: 'string' },
    engine: { type: 'string', multiple: true },
    // --smoke: 3 instances, one trial per engine, so that `npm test` checks the script still runs.
    smoke: { type: 'boolean', default: false },
    // Accepted for the smoke test's sake, as the other benches take it; this one writes no report.
    out: { type: 'string' },
  },
});
const smoke = values.smoke === true;
const trials = whole(values.trials, 'trials', smoke ? 1 : 20);
const settings: RaceSettings = {
  instances: whole(values.instances, 'instances', smoke ? 3 : 20),
  writeEveryMs: 100,
  warmupMs: smoke ? 500 : 1_000,
  settleMs: smoke ? 500 : 2_000,
  neverAfterMs: 30_000,
};
const engines = (values.engine ?? []).flatMap((e) => e.split(',')).map(engineOf);

function whole(value: string | undefined, name: string, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive whole number, got "${value}".`);
  return n;
}

console.log(`Promotion race on ${describeMachine(machineInfo())}`);
console.log(
  `${settings.instances} app instances (one process each, one write every ${settings.writeEveryMs} ms each), ` +
    `kill -9 of the primary, synchronous replication, ${trials} trial(s) per engine, a fresh cluster each\n`,
);
const started = performance.now();
const results: RaceTrial[] = [];
for (const { kit } of ENGINES.filter((e) => engines.length === 0 || engines.includes(e.kit.engine))) {
  const unavailable = kit.unavailable?.();
  if (unavailable) {
    console.log(`Skipping ${kit.engine}: ${unavailable}`);
    continue;
  }
  for (let trial = 1; trial <= trials; trial++) {
    const result = await runRaceTrial(kit, trial, settings);
    results.push(result);
    console.log(raceTrialLine(result, settings.neverAfterMs));
  }
}
console.log(`\n${raceTable(results, settings.instances, settings.neverAfterMs)}\n`);
for (const line of raceVerdicts(results)) console.log(line);
console.log(`(${Math.round((performance.now() - started) / 1000)} s)`);
// A trial that failed for the harness's sake (a cluster, an instance that did not start) fails the run.
process.exit(results.some((r) => r.error) ? 1 : 0);
