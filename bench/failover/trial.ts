import { sleep, within } from '../lib/time';
import { type PromotionTally, tallyPromotions } from '../promotion/events';
import { measureTrial, type TrialMetrics, type TrialTimeline } from './measure';
import { waitForRecovery } from './recovery';
import { startStream, type WriteStream } from './stream';
import type { AnyFault, BenchClient, ClusterKit, FaultName, Incident, Scenario, WriteTarget } from './types';

export interface TrialSettings {
  callers: number;
  pauseMs: number;
  /** Steady writes before the fault. */
  warmupMs: number;
  neverAfterMs: number;
  /** Writes go on this long after recovery (or the bound) and after the harness finished. */
  settleMs: number;
}

/** The failover benches' steady writes and pacing, shortened by --smoke. */
export const trialSettings = (args: { smoke: boolean; neverAfterMs: number }): TrialSettings => ({
  callers: 4,
  pauseMs: 5,
  warmupMs: args.smoke ? 300 : 1_000,
  neverAfterMs: args.neverAfterMs,
  settleMs: args.smoke ? 500 : 1_500,
});

export interface TrialResult<F extends AnyFault = FaultName> {
  engine: ClusterKit['engine'];
  client: string;
  fault: F;
  replication: Scenario['replication'];
  promoter: Scenario['promoter'];
  timeouts: Scenario['timeouts'];
  trial: number;
  server?: string;
  /** The client acknowledged a write on the new primary within the bound. */
  recovered: boolean;
  metrics?: TrialMetrics;
  timeline?: TrialTimeline;
  /** Errors outside any call: unhandled rejections, uncaught exceptions, a client process exiting. */
  incidents: Incident[];
  /** The trial itself failed (cluster, harness): its figures are missing, not zero. */
  error?: string;
  /** Promotion by the library: the events of every app instance, counted up to the end of the trial. */
  promotion?: PromotionTally;
  /** What the fault recipe noticed (a replica left behind, the new primary's synchronous setting). */
  notes?: readonly string[];
}

/** One client, one fault, on a fresh cluster that is destroyed whatever happens. */
export async function runTrial<F extends AnyFault>(
  kit: ClusterKit<F>,
  client: BenchClient,
  scenario: Scenario<F>,
  trial: number,
  settings: TrialSettings,
): Promise<TrialResult<F>> {
  const result: TrialResult<F> = {
    engine: kit.engine,
    client: client.name,
    fault: scenario.fault,
    replication: scenario.replication,
    promoter: scenario.promoter,
    timeouts: scenario.timeouts,
    trial,
    recovered: false,
    incidents: [],
  };
  const incidents = watchProcess(result.incidents);
  const cluster = await kit.start(scenario).catch((error: unknown) => {
    result.error = `cluster start failed: ${(error as Error).message}`;
    return undefined;
  });
  if (!cluster) {
    incidents.stop();
    return result;
  }
  result.server = cluster.version;
  let target: WriteTarget | undefined;
  let stream: WriteStream | undefined;
  try {
    target = await client.open(cluster.endpoints);
    stream = startStream(target, settings);
    await sleep(settings.warmupMs);
    const times = await cluster.inject(scenario);
    if (times.notes?.length) result.notes = times.notes;
    const recoveredAt = await waitForRecovery(cluster, stream, times, settings.neverAfterMs);
    result.recovered = recoveredAt !== undefined;
    await sleep(
      Math.max(0, Math.max(times.doneAt, recoveredAt ?? 0) + settings.settleMs - performance.now()),
    );
    await stream.stop(2_000);
    const idsByNode = new Map<string, string[] | undefined>();
    for (const node of cluster.nodeNames) idsByNode.set(node, await cluster.idsOn(node));
    const measured = measureTrial(stream.history.ops(), times, idsByNode);
    if (!result.recovered) {
      // A first write that landed only after the bound is still "never": nobody watched it stay up.
      measured.metrics.outageMs = Number.POSITIVE_INFINITY;
      measured.metrics.fromWritableMs = Number.POSITIVE_INFINITY;
    }
    result.metrics = measured.metrics;
    result.timeline = measured.timeline;
  } catch (error) {
    result.error = (error as Error).message;
  } finally {
    // Counted before the cluster goes: its destruction is no fault the instances should act on.
    const promotions = target?.promotions?.();
    if (promotions) result.promotion = tallyPromotions(promotions);
    // The cluster goes first: a client stuck on a hung node is released when its sockets close.
    await cluster.destroy();
    await stream?.stop(2_000);
    if (target)
      await within(
        target.close().catch(() => undefined),
        5_000,
        undefined,
      );
    result.incidents.push(...(target?.incidents ?? []));
    incidents.stop();
  }
  return result;
}

/**
 * `trials` of `scenario` for every client, the clients taking turns within a trial (so drift in the
 * machine's load hits them all alike); each result goes to `report` as it comes.
 */
export async function runTurns<F extends AnyFault>(
  kit: ClusterKit<F>,
  clients: readonly BenchClient[],
  scenario: Scenario<F>,
  trials: number,
  settings: TrialSettings,
  report: (result: TrialResult<F>) => void,
): Promise<TrialResult<F>[]> {
  const results: TrialResult<F>[] = [];
  for (let trial = 1; clients.length > 0 && trial <= trials; trial++) {
    for (const client of clients) {
      const result = await runTrial(kit, client, scenario, trial, settings);
      results.push(result);
      report(result);
    }
  }
  return results;
}

/** A trial's incidents for its log line ('' when none). */
export const incidentsText = (result: TrialResult<AnyFault>): string =>
  result.incidents.length
    ? `, incidents ${result.incidents.map((i) => `${i.what}: ${i.code}`).join('; ')}`
    : '';

/**
 * A client that throws outside any call would crash a real app. The bench records it against the
 * trial instead of dying, so the other clients still get measured.
 */
function watchProcess(into: Incident[]): { stop(): void } {
  const record = (what: string) => (error: unknown) => {
    const code = (error as { code?: unknown })?.code;
    into.push({
      what,
      code: typeof code === 'string' ? code : error instanceof Error ? error.name : typeof error,
      message: error instanceof Error ? error.message : String(error),
    });
  };
  const onRejection = record('unhandledRejection');
  const onException = record('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
