/**
 * One trial: a fresh cluster behind proxies, the app's pool (three app instances where the library
 * promotes), a steady stream of writes, one fault and the recovery from it, then the history
 * checked against what the final primary holds.
 * The cluster is destroyed whatever happens; a failure of the harness itself is reported in the
 * result, never thrown, so one bad trial does not stop the matrix.
 */

import type { ReplicationMode } from '../cluster/test-cluster';
import { checkHistory } from '../history';
import { startApp } from './app-instances';
import type { TrialResult } from './results';
import { settlesWithin } from './settles-within';
import { DEFAULT_GAP_THRESHOLD_MS, emptyResult, type Observed, toResult } from './trial-result';
import { TrialTimeline } from './trial-timeline';
import type { ChaosCluster, ChaosEngine, ChaosFault, ChaosRow, ChaosWorkload, FaultContext } from './types';
import { startWriters, type WriterOptions, type Writers } from './workload';

export interface TrialTimings {
  /** Writes before the fault. Default 1000 ms. */
  warmupMs?: number;
  /** Writes after the fault and its recovery. Default 1500 ms. */
  cooldownMs?: number;
}

export interface TrialSpec<Pool> {
  engine: ChaosEngine<Pool>;
  workload: ChaosWorkload<Pool>;
  fault: ChaosFault;
  replication: ReplicationMode;
  trial: number;
  timings?: TrialTimings;
  writers?: WriterOptions;
}

const POOL_SAMPLE_MS = 50;
/**
 * How long the writes still under way at the end may take to finish. Every wait of the pool is
 * bounded (query timeout, wait for a primary, connect timeout, each far below this): a write
 * still running after it is hung, which the checker reports as a failure.
 */
const HUNG_AFTER_MS = 60_000;

/** pool.end() waits for nothing but its own connections; beyond this it is stuck. */
const POOL_END_LIMIT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function runTrial<Pool>(spec: TrialSpec<Pool>): Promise<TrialResult> {
  let chaos: ChaosCluster<Pool> | undefined;
  try {
    chaos = await spec.engine.start({
      replicas: spec.fault.replicas,
      replication: spec.replication,
      promoter: spec.fault.promoter,
    });
    return await driveTrial(chaos, spec);
  } catch (error) {
    return emptyResult(spec, chaos?.cluster.description ?? spec.engine.name, messageOf(error));
  } finally {
    await chaos?.cluster.destroy();
  }
}

async function driveTrial<Pool>(chaos: ChaosCluster<Pool>, spec: TrialSpec<Pool>): Promise<TrialResult> {
  const observed = await observe(chaos, spec);
  let finalIds: string[];
  try {
    finalIds = (await chaos.readRows(observed.finalPrimary, spec.workload.idsSql)).map((row) =>
      String(row.id),
    );
  } catch (error) {
    // An unfinished recovery may leave no primary to read from: then the history cannot be checked.
    const why = `reading the rows on ${observed.finalPrimary} failed: ${messageOf(error)}`;
    throw new Error(observed.faultError ? `${observed.faultError}; ${why}` : why);
  }
  const gapThresholdMs = spec.fault.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS;
  const check = checkHistory(observed.ops, finalIds, { gapThresholdMs });
  const strays = await findStrays(chaos, spec.workload, observed, new Set(finalIds));
  return toResult(spec, chaos.cluster.description, observed, check, strays);
}

async function observe<Pool>(chaos: ChaosCluster<Pool>, spec: TrialSpec<Pool>): Promise<Observed> {
  const { cluster } = chaos;
  const timeline = new TrialTimeline(cluster);
  const poolPrimaries = new Set<string>();
  const { pools, watch } = startApp(chaos, spec.fault, timeline);
  const sampler = setInterval(() => {
    for (const pool of pools) {
      const primary = chaos.poolPrimary(pool);
      if (primary) poolPrimaries.add(primary);
    }
  }, POOL_SAMPLE_MS);
  let writers: Writers | undefined;
  let runAt = performance.now();
  let recoveredAt = runAt;
  let stoppedAt = runAt;
  let faultError: string | undefined;
  let hungAtStop = 0;
  try {
    await spec.workload.setup(pools[0] as Pool);
    writers = startWriters(pools, spec.workload, spec.writers);
    await sleep(spec.timings?.warmupMs ?? 1_000);
    const context: FaultContext = {
      cluster,
      replication: spec.replication,
      down: new Set(),
      sleep,
      mark: (label, kind) => timeline.mark(label, kind),
      library: watch,
    };
    runAt = performance.now();
    try {
      await spec.fault.run(context);
    } catch (error) {
      faultError = `${spec.fault.name} did not complete: ${messageOf(error)}`;
    }
    // Whatever the fault script did, the app's network is healthy again from here on.
    await Promise.all(cluster.nodes.map((node) => cluster.proxy(node.name).clear()));
    recoveredAt = performance.now();
    await sleep(spec.timings?.cooldownMs ?? 1_500);
  } finally {
    stoppedAt = performance.now();
    timeline.events.push({ at: stoppedAt, atMs: 0, label: 'no new writes', kind: 'other' });
    hungAtStop = (await writers?.stop(HUNG_AFTER_MS)) ?? 0;
    clearInterval(sampler);
    const ended = await Promise.all(
      pools.map((pool) => settlesWithin(chaos.endPool(pool), POOL_END_LIMIT_MS)),
    );
    if (ended.includes(false))
      faultError = `${faultError ? `${faultError}; ` : ''}pool.end() did not finish within ${POOL_END_LIMIT_MS} ms`;
  }
  const ops = writers?.history.ops() ?? [];
  const { events } = timeline;
  // The fault's own first mark: a script may look around (which standby is synchronous?) first.
  const faultAt = events.find((event) => event.kind === 'fault')?.at ?? runAt;
  const endedAt = performance.now();
  return {
    ops,
    events,
    faultAt,
    recoveredAt,
    stoppedAt,
    endedAt,
    primaries: timeline.primaries,
    finalPrimary: timeline.finalPrimary(),
    poolPrimaries,
    promotionSkips: watch?.skips ?? {},
    libraryFailures: watch?.failures ?? [],
    faultError,
    hungAtStop,
  };
}

/**
 * Rows on a superseded primary that is still up (a hung or cut-off one that came back) and that
 * are not on the final primary: written after the fault, they went where no write may go. Only an
 * unknown write already under way when the fault struck may legitimately be there.
 */
async function findStrays<Pool>(
  chaos: ChaosCluster<Pool>,
  workload: ChaosWorkload<Pool>,
  observed: Observed,
  final: ReadonlySet<string>,
): Promise<string[]> {
  const byId = new Map(observed.ops.map((op) => [String(op.id), op]));
  const firstPromotion =
    observed.events.find((event) => event.kind === 'promote')?.at ?? Number.POSITIVE_INFINITY;
  const strays: string[] = [];
  for (const node of observed.primaries) {
    if (node === observed.finalPrimary) continue;
    let rows: ChaosRow[];
    try {
      rows = await chaos.readRows(node, workload.idsSql);
    } catch {
      continue; // killed: nothing can reach it any more
    }
    for (const row of rows) {
      const id = String(row.id);
      if (final.has(id)) continue;
      const op = byId.get(id);
      const late =
        !op || op.start > firstPromotion || (op.start > observed.faultAt && op.outcome !== 'unknown');
      if (late) strays.push(id);
    }
  }
  return strays;
}
