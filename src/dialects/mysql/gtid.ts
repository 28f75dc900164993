/**
 * MariaDB GTIDs (`domain-server-sequence`, e.g. `0-1-100`) and the one thing the library reads from
 * them: when a node took over as primary.
 *
 * MariaDB numbers the transactions of a replication domain with one sequence that every primary
 * continues (a new primary's first transaction is the last one it received plus one). So the
 * highest sequence number a node holds from *another* server is where it stopped following that
 * server: for a promoted replica, the moment of its promotion. Of two writable nodes, the one that
 * took over later is the newer primary, whatever either wrote since:
 * - node1 primary, writes 0-1-1..100; node1 hangs; node2 (which had 0-1-1..100) is promoted and
 *   writes 0-2-101..; node1 comes back writable, maybe with 0-1-101 it wrote just before the hang.
 *   node2 took over at 100; node1 never followed anyone (0): node1 is the stale one.
 * - node2 is later switched back to node1: node1 now holds 0-2-..250 and took over at 250.
 *
 * This needs the node's own history: `gtid_binlog_state` (the last GTID of each server in its
 * binary log: foreign ones are there with log_slave_updates) and `gtid_slave_pos` (the last GTID
 * its replication applied, kept across RESET SLAVE ALL: covers log_slave_updates=OFF). It is
 * computed in the domain new transactions go to (`gtid_domain_id`); other domains (multi-source
 * replication) do not take part.
 */

export interface MariadbGtid {
  readonly domain: number;
  readonly server: number;
  readonly sequence: bigint;
}

/** `'0-1-100,1-2-5'` (the format of gtid_binlog_state, gtid_slave_pos, gtid_current_pos). */
export function parseGtidList(text: string | undefined): MariadbGtid[] {
  if (!text) return [];
  const gtids: MariadbGtid[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (!match) continue;
    gtids.push({ domain: Number(match[1]), server: Number(match[2]), sequence: BigInt(match[3] as string) });
  }
  return gtids;
}

/**
 * The sequence number at which `ownServerId` last took over in `domain`: the highest one it holds
 * from any other server, 0 when it never followed anyone there. A number, as the topology's
 * generation is one: sequences above 2^53 (never seen in practice) lose precision, which can only
 * turn a decision into a tie, never invert it.
 */
export function takeoverSequence(
  history: readonly MariadbGtid[],
  ownServerId: number,
  domain: number,
): number {
  let highest = 0n;
  for (const gtid of history) {
    if (gtid.domain === domain && gtid.server !== ownServerId && gtid.sequence > highest) {
      highest = gtid.sequence;
    }
  }
  return Number(highest);
}
