/**
 * The failover manager the chaos suite plays, the way Patroni does it, so that the library is
 * tested as it runs in production: it only follows promotions made by someone else.
 *
 * It promotes the surviving replica that received the most, in both replication modes. With
 * synchronous replication that replica holds every acknowledged commit too: WAL is one stream, and
 * it has at least what the synchronous standby flushed. Promoting the synchronous standby instead
 * (Patroni's synchronous mode) strands an asynchronous replica that happened to receive more: it
 * cannot follow the new timeline without pg_rewind (seen in about 1 of 10 kill -9 trials).
 * MariaDB's binary log is one stream too, and semi-sync may be acknowledged by any replica: the
 * same rule, by GTID. The cluster's `mostAdvanced()` knows each engine's measure.
 * Then it points the other surviving replicas at the new primary and waits until they replicate.
 */
import type { FaultContext } from './types';

const REPLICATION_TIMEOUT_MS = 30_000;

/**
 * Before the fault: the standby that confirms commits now (synchronous mode only), waiting until
 * there is one, so that a fault never strikes while a restarted standby is still catching up.
 */
export async function awaitSynchronousStandby(context: FaultContext): Promise<string | undefined> {
  const { cluster } = context;
  if (context.replication !== 'sync' || !cluster.synchronousStandby) return undefined;
  // Right after a promotion or a restart, the standby may still be catching up: wait for one.
  for (let tries = 0; tries < 300; tries++) {
    const standby = await cluster.synchronousStandby();
    if (standby) return standby;
    await context.sleep(100);
  }
  throw new Error(`No synchronous standby on ${cluster.primary} after 30 s.`);
}

/**
 * After the primary failed: promotes the right replica, repoints the others, and marks the moment
 * the new primary became writable. Returns its name.
 */
export async function promoteMostAdvanced(context: FaultContext, failed: string): Promise<string> {
  const { cluster } = context;
  const survivors = cluster.nodes
    .map((node) => node.name)
    .filter((node) => node !== failed && !context.down.has(node));
  const next = await cluster.mostAdvanced(survivors);
  if (!survivors.includes(next)) throw new Error(`Cannot promote ${next}: it is down.`);
  await cluster.promote(next);
  context.mark(`${next} promoted`, 'promote');
  const others = survivors.filter((node) => node !== next);
  for (const replica of others) await cluster.repoint(replica, next);
  await Promise.all(others.map((replica) => cluster.waitForReplication(replica, REPLICATION_TIMEOUT_MS)));
  return next;
}
