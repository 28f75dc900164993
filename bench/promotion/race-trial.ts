import type { ClusterKit, Incident, Scenario } from '../failover/types';
import { sumCounts } from '../lib/stats';
import { epochMs, sleep } from '../lib/time';
import { type PromotionTally, tallyPromotions } from './events';
import { type AppInstance, startInstances } from './instances';
import type { InstanceReport } from './protocol';

export interface RaceSettings {
  /** App instances, each a process with its own pool. */
  instances: number;
  /** One insert every this many ms, per instance. */
  writeEveryMs: number;
  /** Writes before the fault. */
  warmupMs: number;
  /** After every instance recovered (or the bound): time for a late second promotion to show. */
  settleMs: number;
  /** An instance with no write acknowledged this long after the new primary became writable never recovered. */
  neverAfterMs: number;
}

/** One race: kill -9 of the primary under `instances` promoting app instances. */
export interface RaceTrial {
  readonly engine: ClusterKit['engine'];
  readonly trial: number;
  promotion?: PromotionTally;
  /** Fault -> new primary writable (watched on both replicas), ms. */
  writableAfterMs?: number;
  /** Fault -> the first `promoted` event, ms (the promoter repoints the other replica before it emits). */
  promotedAfterMs?: number;
  /** Per instance (index = instance - 1): its outage, ms; null: it never recovered; undefined: no report. */
  outages: (number | null | undefined)[];
  /** Errors the instances' writes got, by class, summed. */
  errors: Record<string, number>;
  notes: readonly string[];
  incidents: Incident[];
  /** The trial itself failed (cluster, instances, no promotion within the bound). */
  error?: string;
}

/** kill -9 of node1 on a synchronous cluster, repaired by nobody but the app instances. */
export const RACE_SCENARIO: Scenario = {
  fault: 'kill9',
  replication: 'sync',
  promoter: 'library',
  timeouts: 'harness',
};

const REPORT_EVERY_MS = 250;

/**
 * A fresh cluster (the failover bench's kit, with its promotion account); the instances started all
 * at once and writing; kill -9 of the primary (library-recipe.ts: both replicas watched from before
 * it); then each instance's outage once all have recovered. Every `promoted` event of every
 * instance is counted: exactly one is right. The cluster is destroyed whatever happens.
 */
export async function runRaceTrial(
  kit: ClusterKit,
  trial: number,
  settings: RaceSettings,
): Promise<RaceTrial> {
  const result: RaceTrial = { engine: kit.engine, trial, outages: [], errors: {}, notes: [], incidents: [] };
  let instances: AppInstance[] = [];
  const cluster = await kit.start(RACE_SCENARIO).catch((error: unknown) => {
    result.error = `cluster start failed: ${(error as Error).message}`;
    return undefined;
  });
  if (!cluster) return result;
  try {
    instances = await startInstances(
      Array.from({ length: settings.instances }, (_, i) => ({
        endpoints: cluster.endpoints,
        instance: i + 1,
        writeEveryMs: settings.writeEveryMs,
      })),
    );
    await sleep(settings.warmupMs);
    const times = await cluster.inject(RACE_SCENARIO);
    result.writableAfterMs = times.writableAt - times.faultAt;
    result.notes = times.notes ?? [];
    // The instances' clock is the epoch (epochMs); this process's performance.now() starts at timeOrigin.
    const [faultAt, writableAt] = [times.faultAt, times.writableAt].map(
      (t) => performance.timeOrigin + t,
    ) as [number, number];
    const reports = await reportsOnceRecovered(instances, faultAt, writableAt, settings.neverAfterMs);
    await sleep(settings.settleMs);
    result.outages = reports.map((report) => report?.outageMs);
    result.errors = sumCounts(reports.map((report) => report?.errors ?? {}));
    const first = tallyPromotions(instances.flatMap((instance) => instance.records)).promotions[0];
    if (first) result.promotedAfterMs = first.at - faultAt;
  } catch (error) {
    result.error = (error as Error).message;
  } finally {
    // Counted before the cluster goes: its destruction is no fault the instances should act on.
    result.promotion = tallyPromotions(instances.flatMap((instance) => instance.records));
    await cluster.destroy();
    await Promise.all(instances.map((instance) => instance.close()));
    result.incidents.push(...instances.flatMap((instance) => instance.incidents));
  }
  return result;
}

/** Asks every instance for its outage until all have recovered, or `neverAfterMs` past writability. */
async function reportsOnceRecovered(
  instances: readonly AppInstance[],
  faultAt: number,
  writableAt: number,
  neverAfterMs: number,
): Promise<(InstanceReport | undefined)[]> {
  for (;;) {
    const reports = await Promise.all(instances.map((instance) => instance.report(faultAt, writableAt)));
    const waiting = reports.some((report) => report?.outageMs === null);
    if (!waiting || epochMs() - writableAt > neverAfterMs) return reports;
    await sleep(REPORT_EVERY_MS);
  }
}
