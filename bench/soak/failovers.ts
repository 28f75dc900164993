import type { TestCluster } from '../../src/testing';
import { sleep } from '../lib/time';
import type { EngineCluster } from './clusters';
import { firstLine } from './errors';

/**
 * The failovers of the soak, each on whichever node is primary now, so the failing node moves round
 * the cluster: a planned switchover to the next node; kill -9, with the most advanced replica promoted
 * 500 ms later; a hang (SIGSTOP), the same promotion 2 s later, then SIGCONT. After a crash or a hang
 * the old primary is brought back as a replica of the new one (EngineCluster.rejoin), so the next
 * failover again has two replicas. The delays are those of the failover bench and the chaos suite.
 */
export type FailoverKind = 'switchover' | 'kill9' | 'hang';
export const FAILOVER_KINDS: readonly FailoverKind[] = ['switchover', 'kill9', 'hang'];

const PROMOTE_AFTER_MS: Record<Exclude<FailoverKind, 'switchover'>, number> = { kill9: 500, hang: 2_000 };
const REPLICATE_TIMEOUT_MS = 30_000;

export interface FailoverOutcome {
  readonly kind: FailoverKind;
  readonly from: string;
  to?: string;
  tookMs: number;
  /** How the old primary came back (pg_rewind, repointed, ...). */
  rejoined?: string;
  /** The step that threw, and why; the soak records it and goes on. */
  failed?: { step: string; message: string; detail: string };
}

/** Runs one failover of `kind`; never throws: a failed step is in `failed`. */
export async function failOver(ec: EngineCluster, kind: FailoverKind): Promise<FailoverOutcome> {
  const { cluster } = ec;
  const started = performance.now();
  const outcome: FailoverOutcome = { kind, from: cluster.primary, tookMs: 0 };
  let step = kind as string;
  try {
    if (kind === 'switchover') {
      outcome.to = nextNode(cluster, outcome.from);
      await cluster.switchover(outcome.to);
    } else {
      cluster.kill(outcome.from, kind === 'kill9' ? 'SIGKILL' : 'SIGSTOP');
      await sleep(PROMOTE_AFTER_MS[kind]);
      step = 'promote';
      outcome.to = await promoteSuccessor(cluster, outcome.from);
      step = 'rejoin';
      // rejoin SIGCONTs a hung node first (as it stops it): the stale primary is back, then demoted.
      outcome.rejoined = await ec.rejoin(outcome.from, outcome.to);
    }
    step = 'settle';
    await ec.settle(cluster.primary);
  } catch (error) {
    outcome.failed = { step, message: firstLine(error), detail: error instanceof Error ? error.message : '' };
  }
  outcome.tookMs = performance.now() - started;
  return outcome;
}

/**
 * Promotes the replica (of those not `failed`) that received the most, as Patroni does: it holds every
 * commit the others hold, so they can follow it; repoints them and waits until they replicate.
 * `onPromoting` hears the moment the promotion starts (the many-instances bench times the storm from
 * it: the node takes writes some way into cluster.promote(), which returns only later).
 */
export async function promoteSuccessor(
  cluster: TestCluster,
  failed: string,
  onPromoting?: (target: string) => void,
): Promise<string> {
  const survivors = cluster.nodes.map((n) => n.name).filter((name) => name !== failed);
  const target = await cluster.mostAdvanced(survivors);
  onPromoting?.(target);
  await cluster.promote(target);
  const others = survivors.filter((name) => name !== target);
  for (const other of others) await cluster.repoint(other, target);
  await Promise.all(others.map((other) => cluster.waitForReplication(other, REPLICATE_TIMEOUT_MS, target)));
  return target;
}

/**
 * Before each failover: the cluster whole again after whatever the last one left behind (a step that
 * failed). A primary that does not answer is replaced; a node that does not replicate from the primary
 * is rejoined; under synchronous replication, waits for a standby that confirms commits, so that no
 * fault strikes while a restarted standby still catches up. Returns what it had to repair.
 */
export async function makeWhole(ec: EngineCluster): Promise<string[]> {
  const { cluster } = ec;
  const repaired: string[] = [];
  if (!(await answers(cluster, cluster.primary))) {
    const lost = cluster.primary;
    repaired.push(`${lost} (primary) did not answer: promoted ${await promoteSuccessor(cluster, lost)}`);
  }
  for (const { name } of cluster.nodes) {
    if (name === cluster.primary) continue;
    const ok = await cluster.waitForReplication(name, 10_000, cluster.primary).then(
      () => true,
      () => false,
    );
    if (!ok) repaired.push(`${name}: ${await ec.rejoin(name, cluster.primary)}`);
  }
  if (cluster.replication === 'sync' && cluster.synchronousStandby) {
    for (let tries = 0; !(await cluster.synchronousStandby()); tries++) {
      if (tries > 100) throw new Error(`no synchronous standby on ${cluster.primary} after 10 s`);
      await sleep(100);
    }
  }
  return repaired;
}

async function answers(cluster: TestCluster, node: string): Promise<boolean> {
  const limits = { timeoutMs: 2_000, connectTimeoutMs: 2_000 };
  return cluster.query(node, 'SELECT 1', [], limits).then(
    () => true,
    () => false,
  );
}

/** The node after `node` in node order, wrapping round: the switchover target. */
function nextNode(cluster: TestCluster, node: string): string {
  const names = cluster.nodes.map((n) => n.name);
  return names[(names.indexOf(node) + 1) % names.length] as string;
}
