/**
 * `npm run bench:galera`: the failover bench's trials on a three-node MariaDB Galera cluster:
 * failover-pool, mysql2's PoolCluster and the mariadb connector's, one after the other under the
 * same steady writes, each on a fresh cluster per trial, through the faults of bench/galera/faults.ts.
 * See docs/galera.md.
 */
import { failoverPoolMysql } from './failover/clients/mysql-failover-pool';
import { mariadbCluster } from './failover/clients/mysql-mariadb-cluster';
import { poolClusterMysql } from './failover/clients/mysql-pool-cluster';
import { summarize } from './failover/summary';
import { incidentsText, runTurns, type TrialResult, trialSettings } from './failover/trial';
import { galeraKit } from './galera/cluster';
import { GALERA_FAULT_NAMES, type GaleraFault } from './galera/faults';
import { galeraTable } from './galera/print';
import { parseBenchArgs } from './lib/args';
import { describeMachine, machineInfo } from './lib/machine';
import { formatMs } from './lib/table';
import { REPO_ROOT } from './peers/paths';

const args = parseBenchArgs(process.argv.slice(2), REPO_ROOT);
const command = `npm run bench:galera${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const settings = trialSettings(args);
// Smoke: one fault, its node out 2 s instead of 5, to stay within a minute for the three clients.
const pacing = { outForMs: args.smoke ? 2_000 : 5_000 };
const kit = galeraKit(pacing);
const clients = [failoverPoolMysql, poolClusterMysql, mariadbCluster].filter(
  (c) => args.clients.length === 0 || args.clients.includes(c.name),
);
const faults = args.smoke && args.faults.length === 0 ? ['isolate-writer'] : args.faults;
const scenarios = kit.scenarios.filter((s) => faults.length === 0 || faults.includes(s.fault));

const info = machineInfo();
const machine = `${describeMachine(info)}, ${info.date}`;
console.log(`Galera failover bench on ${machine}`);
const unavailable = kit.unavailable?.();
if (unavailable) {
  console.log(`Skipping MariaDB Galera: ${unavailable}`);
  process.exit(0);
}
const started = performance.now();
const results: TrialResult<GaleraFault>[] = [];
let server = '';
for (const scenario of scenarios) {
  const ran = await runTurns(kit, clients, scenario, args.trials, settings, (result) => {
    server ||= result.server ?? '';
    const m = result.metrics;
    console.log(
      `galera ${GALERA_FAULT_NAMES[result.fault]} trial ${result.trial} ${result.client}: ` +
        (m
          ? `outage ${formatMs(m.outageMs, settings.neverAfterMs)}, acked ${m.acked}, lost ${m.lost}, ` +
            `doubled ${m.duplicates + m.failedButApplied}, errors ${JSON.stringify(m.errors)}`
          : `FAILED: ${result.error}`) +
        incidentsText(result),
    );
  });
  results.push(...ran);
}
console.log(
  `\nMariaDB Galera: ${server}; ${args.trials} trial(s) per cell; a killed or cut-off node back after ` +
    `${pacing.outForMs / 1000} s; ${command}`,
);
console.log(`${machine}; ${Math.round((performance.now() - started) / 1000)} s\n`);
console.log(galeraTable(summarize(results), settings.neverAfterMs));
// A trial that failed for the harness's sake fails the run; a client that leaked a handle must not
// keep the bench from finishing.
const failed = results.filter((r) => r.error);
for (const r of failed) console.log(`trial failed: ${r.fault} ${r.client} ${r.trial}: ${r.error}`);
process.exit(failed.length ? 1 : 0);
