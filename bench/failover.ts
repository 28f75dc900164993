/**
 * `npm run bench:failover`: the same cluster, the same fault and the same steady write stream, one
 * client after another, each on a fresh cluster per trial; PostgreSQL, then MariaDB. See
 * docs/benchmarks.md.
 */
import { ENGINES, NEEDS_NODE22 } from './failover/clients/index';
import { failoverTable, scenarioName } from './failover/print';
import { promotionTable, promotionVerdicts } from './failover/promotion-table';
import { summarize } from './failover/summary';
import { incidentsText, runTurns, type TrialResult, trialSettings } from './failover/trial';
import type { BenchClient, ClusterKit, Scenario } from './failover/types';
import { parseBenchArgs, wantsEngine } from './lib/args';
import { describeMachine, machineInfo } from './lib/machine';
import { formatMs } from './lib/table';
import { installPeers } from './peers/install';
import { node22PeersMissing, REPO_ROOT } from './peers/paths';
import { promotionLine } from './promotion/events';
import { writeHtmlReport } from './report/html';
import { writeSections } from './report/json';
import { ENGINE_TITLES, type FailoverSection } from './report/sections';

const args = parseBenchArgs(process.argv.slice(2), REPO_ROOT);
const machine = machineInfo();
const command = `npm run bench:failover${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const settings = trialSettings(args);

/** `--fault kill9` runs both its modes; `--fault kill9:sync` one. Smoke: kill -9, asynchronous. */
function wanted(scenario: Scenario): boolean {
  const faults = args.smoke && args.faults.length === 0 ? ['kill9:async'] : args.faults;
  if (faults.length === 0) return true;
  return faults.some((f) => f === scenario.fault || f === `${scenario.fault}:${scenario.replication}`);
}

function skipReason(client: BenchClient): string | undefined {
  if (args.clients.length > 0 && !args.clients.includes(client.name)) return 'not selected';
  if (NEEDS_NODE22.has(client.name)) {
    if (args.noPeers) return '--no-peers / --smoke';
    if (node22PeersMissing()) {
      console.log(`Installing the Node 22 peers for ${client.name}...`);
      try {
        installPeers();
      } catch (error) {
        return `could not install: ${(error as Error).message}`;
      }
    }
  }
  return client.unavailable?.();
}

/** Every wanted scenario x trial x client of one engine, clients taking turns within a trial. */
async function runEngine(kit: ClusterKit, all: readonly BenchClient[]): Promise<FailoverSection> {
  const started = performance.now();
  const results: TrialResult[] = [];
  const described: FailoverSection['clients'] = [];
  const runnable = all.filter((client) => {
    const skipped = skipReason(client);
    described.push({ name: client.name, setup: client.setup, ...(skipped ? { skipped } : {}) });
    if (skipped && skipped !== 'not selected') console.log(`Skipping ${client.name}: ${skipped}`);
    return !skipped;
  });
  let server = '';
  for (const scenario of kit.scenarios.filter(wanted)) {
    // Each promoter's scenarios get its own clients: two promoters on one cluster would split it.
    const clients = runnable.filter((client) => (client.promoter ?? 'harness') === scenario.promoter);
    const trials = Math.min(args.trials, scenario.maxTrials ?? args.trials);
    const ran = await runTurns(kit, clients, scenario, trials, settings, (result) => {
      server ||= result.server ?? '';
      const m = result.metrics;
      console.log(
        `${kit.engine} ${scenarioName(result)} trial ${result.trial} ${result.client}: ` +
          (m
            ? `outage ${formatMs(m.outageMs, settings.neverAfterMs)}, from writable ${formatMs(m.fromWritableMs, settings.neverAfterMs)}, ` +
              `acked ${m.acked}, lost ${m.lost}, non-primary ${m.nonPrimaryWrites}, errors ${JSON.stringify(m.errors)}`
            : `FAILED: ${result.error}`) +
          incidentsText(result) +
          (result.promotion ? `; ${promotionLine(result.promotion)}` : '') +
          (result.notes?.length ? `; notes: ${result.notes.join('; ')}` : ''),
      );
    });
    results.push(...ran);
  }
  return {
    engine: kit.engine,
    command,
    machine,
    server,
    settings: { trials: args.trials, ...settings, smoke: args.smoke },
    clients: described,
    cells: summarize(results),
    trials: results,
    wallMs: Math.round(performance.now() - started),
  };
}

console.log(`Failover bench on ${describeMachine(machine)}`);
const started = performance.now();
const sections: Partial<Record<ClusterKit['engine'], FailoverSection>> = {};
for (const { kit, clients } of ENGINES.filter((e) => wantsEngine(args, e.kit.engine))) {
  const unavailable = kit.unavailable?.();
  if (unavailable) console.log(`Skipping ${ENGINE_TITLES[kit.engine]}: ${unavailable}`);
  else sections[kit.engine] = await runEngine(kit, clients);
}
for (const section of Object.values(sections)) {
  console.log(`\n${ENGINE_TITLES[section.engine]}: ${section.server}; ${args.trials} trial(s) per cell\n`);
  console.log(failoverTable(section.cells, settings.neverAfterMs));
  if (section.cells.some((c) => c.promoter === 'library')) {
    console.log(
      `\nPromotion by the library beside the external promoter, ${ENGINE_TITLES[section.engine]}:\n`,
    );
    console.log(promotionTable(section.cells, settings.neverAfterMs));
    for (const line of promotionVerdicts(section.cells)) console.log(`- ${line}`);
  }
}
const report = writeSections(args.out, 'failover', sections);
const html = writeHtmlReport(args.out, report);
const wallS = Math.round((performance.now() - started) / 1000);
console.log(`\nWrote ${args.out}/bench-report.json and ${html} (${wallS} s)`);
// A trial that failed for the harness's sake (not a peer's own failure) fails the run; a client that
// leaked a handle (a hung socket, a timer) must not keep the bench from finishing.
const harnessFailed = Object.values(sections).some((s) =>
  s.trials.some((r) => r.error && !NEEDS_NODE22.has(r.client)),
);
process.exit(harnessFailed ? 1 : 0);
