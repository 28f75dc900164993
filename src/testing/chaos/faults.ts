/**
 * The faults of the chaos matrix where the library only follows. Each one injects a failure and
 * then does what the outside world would: a failover manager promotes after the delays of the
 * library's own failover scenarios (500 ms after a crash, 2 s after a hang), or nobody does
 * anything when the primary is healthy. (The faults the library recovers from by promoting a
 * replica itself are in library-faults.ts.)
 */

import type { FaultHandle } from '../fault-proxy/types';
import { awaitSynchronousStandby, promoteMostAdvanced } from './external-promoter';
import { type PrimaryFailure, stopProcesses, whilePrimaryFailed } from './primary-failure';
import type { ChaosFault, FaultContext } from './types';

/** A crash is noticed at once by a manager's health check; promote this long after it. */
const CRASH_PROMOTE_DELAY_MS = 500;
/** A hang must first time out (Patroni's ttl in miniature): promote this long after it. */
const HANG_PROMOTE_DELAY_MS = 2_000;
/** How long a fault that heals by itself (latency, partition) lasts. */
const TRANSIENT_FAULT_MS = 3_000;
/** Writes continue this long on the new primary before the second failover. */
const BETWEEN_FAILOVERS_MS = 1_500;

/** Who recovers from a fault, and on how many replicas it runs. */
const PROMOTED_BY_HARNESS = { replicas: 2, promoter: 'harness', promotions: 1 } as const;
const NOBODY_PROMOTES = { replicas: 2, promoter: 'nobody', promotions: 0 } as const;

/** A fault that heals by itself: on for TRANSIENT_FAULT_MS, then off, whatever happens meanwhile. */
async function holdThenHeal(
  context: FaultContext,
  fault: FaultHandle,
  label: string,
  healed: string,
): Promise<void> {
  context.mark(label, 'fault');
  try {
    await context.sleep(TRANSIENT_FAULT_MS);
  } finally {
    await fault.off();
  }
  context.mark(healed, 'heal');
}

async function killPrimaryAndFailover(context: FaultContext): Promise<void> {
  const old = context.cluster.primary;
  await awaitSynchronousStandby(context);
  context.cluster.kill(old, 'SIGKILL');
  context.down.add(old);
  context.mark(`kill -9 ${old}`, 'fault');
  await context.sleep(CRASH_PROMOTE_DELAY_MS);
  await promoteMostAdvanced(context, old);
}

const killPrimary: ChaosFault = {
  name: 'kill-primary',
  title: 'kill -9 primary',
  ...PROMOTED_BY_HARNESS,
  run: killPrimaryAndFailover,
};

/**
 * A fault where the primary stops answering (`hang` starts it, labelled `what` on the timeline). A
 * manager promotes after HANG_PROMOTE_DELAY_MS; then the hang ends and the old primary, still
 * writable on its old timeline, is back: it must never be written to again.
 */
function primaryHang(name: string, title: string, what: string, hang: PrimaryFailure): ChaosFault {
  return {
    name,
    title,
    ...PROMOTED_BY_HARNESS,
    async run(context) {
      await whilePrimaryFailed(context, what, hang, async (old) => {
        await context.sleep(HANG_PROMOTE_DELAY_MS);
        await promoteMostAdvanced(context, old);
      });
    },
  };
}

const stopPrimary = primaryHang('sigstop-primary', 'SIGSTOP primary', 'SIGSTOP', stopProcesses);

// The app's network to the primary hangs; a manager that cannot reach it either promotes.
const blackholePrimary = primaryHang(
  'blackhole-primary',
  'blackhole primary',
  'blackhole',
  ({ cluster }, node) => {
    const hole = cluster.proxy(node).blackhole();
    return () => hole.off();
  },
);

const resetAll: ChaosFault = {
  name: 'reset-all',
  title: 'reset all connections',
  ...NOBODY_PROMOTES,
  async run(context) {
    for (const node of context.cluster.nodes) context.cluster.proxy(node.name).reset();
    context.mark('TCP reset of every connection', 'fault');
  },
};

const latencyPrimary: ChaosFault = {
  name: 'latency-primary',
  title: 'latency 200 ms on primary',
  ...NOBODY_PROMOTES,
  // Every round trip takes 400 ms (200 ms each way): slower writes, not an outage.
  gapThresholdMs: 1_000,
  async run(context) {
    const primary = context.cluster.primary;
    await holdThenHeal(
      context,
      context.cluster.proxy(primary).latency(200),
      `+200 ms each way to ${primary}`,
      'latency off',
    );
  },
};

export const partitionPrimary: ChaosFault = {
  name: 'partition-primary',
  title: 'partition primary from app',
  ...NOBODY_PROMOTES,
  async run(context) {
    // The replicas still stream from the primary, so no manager would promote: writes must wait
    // for the same primary, and none may go anywhere else.
    const primary = context.cluster.primary;
    await holdThenHeal(
      context,
      context.cluster.proxy(primary).blackhole(),
      `app cut from ${primary}`,
      'partition healed',
    );
  },
};

const killReplica: ChaosFault = {
  name: 'kill-replica',
  title: 'kill -9 replica',
  ...NOBODY_PROMOTES,
  async run(context) {
    const { cluster } = context;
    // The synchronous standby where there is one: its loss blocks every commit until a manager
    // names another standby (Patroni's synchronous mode does); otherwise the first replica.
    const replicas = cluster.nodes.map((node) => node.name).filter((node) => node !== cluster.primary);
    const victim = (await awaitSynchronousStandby(context)) ?? replicas[0]!;
    cluster.kill(victim, 'SIGKILL');
    context.down.add(victim);
    context.mark(`kill -9 ${victim}`, 'fault');
    await context.sleep(CRASH_PROMOTE_DELAY_MS);
    if (context.replication === 'sync' && cluster.setSynchronousStandbys) {
      const others = replicas.filter((node) => node !== victim);
      await cluster.setSynchronousStandbys([...others, victim]);
      context.mark(`sync standby: ${others[0]}`, 'other');
    }
    await context.sleep(1_000);
    await cluster.start(victim);
    context.down.delete(victim);
    await cluster.waitForReplication(victim, 30_000);
    context.mark(`${victim} back`, 'heal');
  },
};

const twoFailovers: ChaosFault = {
  name: 'two-failovers',
  title: 'two failovers in a row',
  // Three replicas: after two failovers one standby is left to confirm synchronous commits.
  replicas: 3,
  promoter: 'harness',
  promotions: 2,
  async run(context) {
    await killPrimaryAndFailover(context);
    await context.sleep(BETWEEN_FAILOVERS_MS);
    await killPrimaryAndFailover(context);
  },
};

/** The faults where the library only follows, in report order. */
export const FOLLOWER_FAULTS: readonly ChaosFault[] = [
  killPrimary,
  stopPrimary,
  blackholePrimary,
  resetAll,
  latencyPrimary,
  partitionPrimary,
  killReplica,
  twoFailovers,
];
