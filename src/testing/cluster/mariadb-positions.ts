/**
 * Which MariaDB replica holds the most, from GTID positions: how the harness's `mostAdvanced()`
 * chooses whom to promote (as Orchestrator and MaxScale do).
 *
 * With `gtid_strict_mode` every domain is one stream numbered by one sequence that each new primary
 * continues, and every replica holds a prefix of it. So the replica with the highest sequence in
 * each domain holds everything any other replica holds: `0-2-105` is ahead of `0-1-104` although
 * another server wrote it. Two positions where each is ahead in some domain have diverged (an
 * errant transaction): no replica is then safe to promote, and the manager must stop.
 */
import { parseGtidList } from '../../dialects/mysql/gtid';
import type { SessionRun } from './mariadb-client';
import { replicaStatus } from './mariadb-replication';

/** The highest sequence per replication domain. */
export type GtidPosition = ReadonlyMap<number, bigint>;

/**
 * One position out of several GTID lists of a node (what its IO thread received, what it applied,
 * what it logged): per domain, the highest sequence any of them reaches.
 */
export function positionOf(lists: readonly (string | undefined)[]): GtidPosition {
  const highest = new Map<number, bigint>();
  for (const list of lists) {
    for (const gtid of parseGtidList(list)) {
      const known = highest.get(gtid.domain);
      if (known === undefined || gtid.sequence > known) highest.set(gtid.domain, gtid.sequence);
    }
  }
  return highest;
}

/**
 * Everything a node holds, on a session of it: what its IO thread received (`Gtid_IO_Pos`: a
 * semi-sync acknowledgement is sent once an event is in the relay log, and promote() applies all
 * of it), what it applied (`gtid_slave_pos`) and what it logged (`gtid_binlog_pos`, which alone
 * holds a former primary's own writes, and with log_slave_updates everything it applied).
 */
export async function positionOnNode(run: SessionRun): Promise<GtidPosition> {
  const status = await replicaStatus(run);
  const [row] = await run<{ applied: string; logged: string }>(
    'SELECT @@global.gtid_slave_pos AS applied, @@global.gtid_binlog_pos AS logged',
  );
  return positionOf([status?.gtidIoPos, row?.applied, row?.logged]);
}

/** Whether `a` holds at least what `b` holds, in every domain of `b`. */
export function covers(a: GtidPosition, b: GtidPosition): boolean {
  for (const [domain, sequence] of b) {
    if ((a.get(domain) ?? 0n) < sequence) return false;
  }
  return true;
}

/**
 * The candidate that covers every other one; of several equal ones, the first (the caller lists them
 * in cluster order, so the choice is deterministic). Throws when the histories have diverged.
 */
export function mostAdvancedOf(candidates: readonly { name: string; position: GtidPosition }[]): string {
  const best = candidates.find((candidate) =>
    candidates.every((other) => covers(candidate.position, other.position)),
  );
  if (best) return best.name;
  if (candidates.length === 0) throw new Error('No replica to choose from.');
  const shown = candidates.map(({ name, position }) => `${name} ${formatPosition(position)}`).join('; ');
  throw new Error(`The replicas' GTID histories have diverged, none holds all the others do: ${shown}.`);
}

export function formatPosition(position: GtidPosition): string {
  return [...position].map(([domain, sequence]) => `${domain}-*-${sequence}`).join(',') || '(empty)';
}
