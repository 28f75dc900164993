import { parseGtidList } from '../../../src/dialects/mysql/gtid';
import type { MariadbCluster } from '../../../src/testing';

/** The highest sequence number a replica holds in each replication domain. */
export type GtidPosition = ReadonlyMap<number, bigint>;

/**
 * What a replica holds: what its IO thread received (`Gtid_IO_Pos`, all of it in the relay log, and
 * the harness's promote() applies all of it) and what it applied (`gtid_slave_pos`), highest of the two
 * per domain. With gtid_strict_mode (the harness's setting) sequences within a domain only grow,
 * whichever server wrote them, so the sequence alone says how far a replica got.
 */
export function positionOf(...gtidLists: readonly string[]): GtidPosition {
  const position = new Map<number, bigint>();
  for (const gtid of gtidLists.flatMap((list) => parseGtidList(list))) {
    const held = position.get(gtid.domain);
    if (held === undefined || gtid.sequence > held) position.set(gtid.domain, gtid.sequence);
  }
  return position;
}

/** `a` holds everything `b` holds. */
export function covers(a: GtidPosition, b: GtidPosition): boolean {
  for (const [domain, sequence] of b) if ((a.get(domain) ?? -1n) < sequence) return false;
  return true;
}

/**
 * The first candidate (in the order given) that holds everything every other candidate holds: no other
 * replica is ahead of it, so all of them can follow it with MASTER_USE_GTID. Promoting any other
 * would lose the writes only the more advanced one received (acknowledged ones, with semi-sync) and
 * leave that one unable to replicate from the new primary (gtid_strict_mode refuses a history it is
 * ahead of). When none covers the others (diverged histories) there is no safe choice: it throws.
 */
export function pickMostAdvanced(candidates: readonly { node: string; position: GtidPosition }[]): string {
  const best = candidates.find((c) => candidates.every((other) => covers(c.position, other.position)));
  if (!best) {
    const shown = candidates.map(
      (c) => `${c.node} ${[...c.position].map(([d, s]) => `${d}:${s}`).join(',')}`,
    );
    throw new Error(`No replica holds everything the others received (${shown.join('; ')}).`);
  }
  return best.node;
}

/** Reads each candidate's position (as the admin) and picks the most advanced one. */
export async function mostAdvancedReplica(
  cluster: MariadbCluster,
  candidates: readonly string[],
): Promise<string> {
  const limits = { timeoutMs: 2_000, connectTimeoutMs: 2_000 };
  const positions = await Promise.all(
    candidates.map(async (node) => {
      const [status] = await cluster.query<{ Gtid_IO_Pos?: string }>(node, 'SHOW REPLICA STATUS', [], limits);
      const [applied] = await cluster.query<{ pos: string }>(
        node,
        'SELECT @@global.gtid_slave_pos AS pos',
        [],
        limits,
      );
      return { node, position: positionOf(status?.Gtid_IO_Pos ?? '', applied?.pos ?? '') };
    }),
  );
  return pickMostAdvanced(positions);
}
