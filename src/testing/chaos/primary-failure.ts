/**
 * What every fault that takes the primary away does, whoever recovers from it: wait until the
 * cluster is ready for the fault (a synchronous standby confirms commits), fail the primary, recover
 * while it is gone, then bring it back: a former primary, still writable on its old history, that
 * must never be written to again.
 */
import { awaitSynchronousStandby } from './external-promoter';
import type { FaultContext } from './types';

/** Fails `node` (labelled on the timeline by the fault) and returns how to bring it back. */
export type PrimaryFailure = (context: FaultContext, node: string) => () => Promise<void> | void;

/** SIGSTOP of every process of the node (its machine hangs), SIGCONT to end it. */
export const stopProcesses: PrimaryFailure = ({ cluster }, node) => {
  cluster.kill(node, 'SIGSTOP');
  return () => cluster.kill(node, 'SIGCONT');
};

/** Runs `recover` while the primary is failed; resolves with the old primary's name once it is back. */
export async function whilePrimaryFailed(
  context: FaultContext,
  what: string,
  fail: PrimaryFailure,
  recover: (old: string) => Promise<void>,
): Promise<string> {
  const old = context.cluster.primary;
  await awaitSynchronousStandby(context);
  const bringBack = fail(context, old);
  context.mark(`${what} ${old}`, 'fault');
  try {
    await recover(old);
  } finally {
    await bringBack();
  }
  context.mark(`${old} back`, 'heal');
  return old;
}
