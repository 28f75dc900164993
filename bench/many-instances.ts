/**
 * `npx tsx bench/many-instances.ts [--instances N] [--engine postgres|mariadb] [--smoke]`: N app
 * instances (default 50), each a Node process with its own failover-pool pool (no promotion), against
 * one 3-node cluster (asynchronous replication). (a) At rest (the pools idle, only their monitors
 * probing) for 20 s: the probe load per node, per instance. (b) The instances write one row every
 * 50 ms each; kill -9 of the primary, the most advanced replica promoted 500 ms later by the harness:
 * the new connections per second on the new primary right after, and each instance's outage. Then
 * what 500 instances would do. --smoke: 5 instances, shorter phases. Children and cluster are always
 * cleaned up (Ctrl-C: at the next step; twice: at once).
 */
import { describeMachine, machineInfo } from './lib/machine';
import { sumCounts } from './lib/stats';
import { epochMs, sleep } from './lib/time';
import type { ServerCounters } from './many-instances/counters';
import { closeInstances, type Instance, startInstances } from './many-instances/instances';
import { MARIADB_SETTINGS, mariadbCounters } from './many-instances/mariadb-counters';
import { PG_SETTINGS, pgCounters } from './many-instances/pg-counters';
import { INSTANCE_TABLE, type InstanceReport } from './many-instances/protocol';
import { outageSummary, projection, type RestRow, restTable, stormTable } from './many-instances/report';
import { analyseStorm } from './many-instances/storm';
import { onInterrupt, parseBenchFlags } from './soak/cli';
import { type EngineCluster, engineUnavailable, startEngineCluster } from './soak/clusters';
import { promoteSuccessor } from './soak/failovers';

const { smoke, engine, counts } = parseBenchFlags({ instances: [50, 5] });
const { instances } = counts;
const REST_MS = smoke ? 5_000 : 20_000;
/** A pool probes fast for 3 s (monitor.settleMs) after it starts: the rest phase begins after that. */
const QUIET_MS = 4_000;
const WRITE_EVERY_MS = 50;
const WARMUP_MS = smoke ? 1_500 : 3_000;
const KILL_PROMOTE_AFTER_MS = 500;
/** Connections are counted this long after the promotion (late reconnects included). */
const STORM_WINDOW_MS = 10_000;
const NEVER_AFTER_MS = 30_000;
const TARGET = 500;

const machine = machineInfo();
console.log(`Many instances on ${describeMachine(machine)}; ${machine.date}`);
const unavailable = engineUnavailable(engine);
if (unavailable) {
  console.log(`Skipping ${engine}: ${unavailable}`);
  process.exit(0);
}

const children: Instance[] = [];
let ec: EngineCluster | undefined;
let failed = false;
const killChildren = () => {
  for (const child of children) child.kill();
};
process.on('exit', killChildren);
const interrupt = onInterrupt(() => {
  killChildren();
  return ec?.cluster.destroy();
});
const started = performance.now();
const step = (what: string) => {
  if (interrupt.requested) throw new Error(`interrupted before ${what}`);
  console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${what}`);
};

/** Every instance's report, asked again until all have written since `writableAt` or the bound passed. */
async function reportsOnceRecovered(
  faultAt: number,
  writableAt: number,
): Promise<(InstanceReport | undefined)[]> {
  for (;;) {
    const answers = await Promise.all(
      children.map((child) => child.ask({ type: 'report', faultAt, writableAt }, 'report', 5_000)),
    );
    const reports = answers.map((answer) => (answer?.type === 'report' ? answer.report : undefined));
    if (reports.every((r) => r?.outageMs !== null) || epochMs() - writableAt > NEVER_AFTER_MS) return reports;
    await sleep(500);
  }
}

async function restPhase(counters: ServerCounters, cluster: EngineCluster['cluster']): Promise<RestRow[]> {
  const nodes = cluster.nodes.map((n) => n.name);
  const before = await Promise.all(nodes.map((node) => counters.read(node)));
  const from = epochMs();
  await sleep(REST_MS);
  const after = await Promise.all(nodes.map((node) => counters.read(node)));
  const seconds = (epochMs() - from) / 1000;
  return nodes.map((node, i) => ({
    node,
    role: node === cluster.primary ? 'primary' : 'replica',
    probes: (after[i]?.probes ?? 0) - (before[i]?.probes ?? 0),
    statements: (after[i]?.statements ?? 0) - (before[i]?.statements ?? 0),
    seconds,
  }));
}

try {
  step(`starting a 3-node ${engine} cluster`);
  const settings = { postgres: PG_SETTINGS, mysql: MARIADB_SETTINGS };
  const current = await startEngineCluster(engine, {
    replication: 'async',
    setup: [INSTANCE_TABLE],
    settings,
  });
  ec = current;
  const { cluster } = current;
  const counters = current.engine === 'postgres' ? await pgCounters(current) : mariadbCounters(current);
  step(`${current.server}; starting ${instances} app instances`);
  const connection = cluster.connectionOptions;
  await startInstances(instances, (instance) => ({ type: 'open', engine, connection, instance }), children);
  await sleep(QUIET_MS);

  step(`(a) at rest for ${REST_MS / 1000} s: counting with ${counters.method}`);
  const rest = await restPhase(counters, cluster);
  console.log(`\n${restTable(rest, instances)}\n`);

  step(`(b) every instance writes one row every ${WRITE_EVERY_MS} ms`);
  await Promise.all(
    children.map((child) => child.ask({ type: 'write', everyMs: WRITE_EVERY_MS }, 'writing', 10_000)),
  );
  await sleep(WARMUP_MS);
  const old = cluster.primary;
  const watch = await counters.watchConnections(cluster.nodes.map((n) => n.name).filter((n) => n !== old));
  await sleep(500);
  step(`kill -9 of ${old}; promotion ${KILL_PROMOTE_AFTER_MS} ms later`);
  const faultAt = epochMs();
  cluster.kill(old, 'SIGKILL');
  await sleep(KILL_PROMOTE_AFTER_MS);
  // No write can succeed between the promotion's start and the node leaving recovery, so the outage
  // gap is found from this moment as well as from the exact one; the storm is timed from it.
  let promotingAt: number | undefined;
  const promoted = await promoteSuccessor(cluster, old, () => {
    promotingAt = epochMs();
  });
  const writableAt = promotingAt ?? epochMs();
  step(
    `${promoted} promoted (started ${Math.round(writableAt - faultAt)} ms after the fault); waiting for the instances`,
  );
  const reports = await reportsOnceRecovered(faultAt, writableAt);
  await sleep(Math.max(0, writableAt + STORM_WINDOW_MS - epochMs()));
  const sessions = (await watch.stop()).get(promoted);
  const storm = analyseStorm(sessions?.arrivals ?? [], faultAt, writableAt, STORM_WINDOW_MS);

  console.log(
    `\nNew connections of the app on ${promoted} (the new primary), times from the start of its promotion:\n`,
  );
  console.log(stormTable(storm, instances));
  console.log(
    `App sessions on ${promoted}: ${sessions?.first} before the fault (the monitors' probe connections), ${sessions?.last} at the end`,
  );
  console.log(
    `\nOutage per instance (longest gap between acknowledged writes around the fault): ${outageSummary(reports.map((r) => (r ? r.outageMs : undefined)))}`,
  );
  const errors = sumCounts(reports.map((r) => r?.errors ?? {}));
  const acked = reports.reduce((n, r) => n + (r?.acked ?? 0), 0);
  console.log(
    `Writes acknowledged ${acked}; errors ${
      Object.entries(errors)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  console.log(`\nWhat ${TARGET} instances would do:`);
  for (const line of projection(TARGET, instances, rest, storm)) console.log(`- ${line}`);
} catch (error) {
  failed = true;
  console.error(`The bench stopped: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await closeInstances(children);
  await ec?.cluster.destroy();
  console.log(`(${Math.round((performance.now() - started) / 1000)} s)`);
}
process.exit(failed ? 1 : 0);
