import { type MariadbGtid, parseGtidList } from './mysql/gtid';
import { lsnToBytes } from './postgres/lsn';

/**
 * How two replication positions of the same cluster compare: > 0 when `a` holds more than `b`, 0 when
 * they hold the same, < 0 when less, undefined when neither holds all of the other (two histories
 * that diverged, or a position that cannot be read). A promotion chooses only among positions that
 * all compare: "the most advanced replica" must hold everything the others hold.
 */
export type ComparePositions = (a: string, b: string) => number | undefined;

/** PostgreSQL LSNs (`0/3000060`): one stream, ordered by its byte offset. */
export const comparePgPositions: ComparePositions = (a, b) => {
  const x = lsnToBytes(a);
  const y = lsnToBytes(b);
  if (x === undefined || y === undefined) return undefined;
  return x === y ? 0 : x > y ? 1 : -1;
};

/**
 * MariaDB GTID lists (`0-1-42,1-2-7`): one sequence per replication domain, which every primary of
 * that domain continues. `a` holds all of `b` when it is at least as far in every domain of either.
 */
export const compareMariadbPositions: ComparePositions = (a, b) => {
  const x = sequencesByDomain(a);
  const y = sequencesByDomain(b);
  if (!x || !y) return undefined;
  let more = false;
  let less = false;
  for (const domain of new Set([...x.keys(), ...y.keys()])) {
    const p = x.get(domain) ?? 0n;
    const q = y.get(domain) ?? 0n;
    if (p > q) more = true;
    if (p < q) less = true;
  }
  if (more && less) return undefined;
  return more ? 1 : less ? -1 : 0;
};

/**
 * MySQL GTID sets (`uuid:1-42:50,uuid2:1-7`): `a` holds all of `b` when every transaction of `b` is
 * in `a`. Compared as sets of intervals per source uuid.
 */
export const compareMysqlPositions: ComparePositions = (a, b) => {
  const x = gtidSet(a);
  const y = gtidSet(b);
  if (!x || !y) return undefined;
  const aHoldsB = contains(x, y);
  const bHoldsA = contains(y, x);
  if (aHoldsB && bHoldsA) return 0;
  if (aHoldsB) return 1;
  if (bHoldsA) return -1;
  return undefined;
};

function sequencesByDomain(text: string): Map<number, bigint> | undefined {
  const gtids = parseGtidList(text);
  if (gtids.length === 0 && text.trim() !== '') return undefined;
  const byDomain = new Map<number, bigint>();
  for (const { domain, sequence } of gtids) {
    if (sequence > (byDomain.get(domain) ?? 0n)) byDomain.set(domain, sequence);
  }
  return byDomain;
}

type Intervals = [bigint, bigint][];

function gtidSet(text: string): Map<string, Intervals> | undefined {
  const set = new Map<string, Intervals>();
  for (const part of text.replace(/\s+/g, '').split(',')) {
    if (part === '') continue;
    const [uuid, ...ranges] = part.split(':');
    if (!uuid || ranges.length === 0) return undefined;
    const intervals = set.get(uuid.toLowerCase()) ?? [];
    for (const range of ranges) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(range);
      if (!match) return undefined;
      intervals.push([BigInt(match[1] as string), BigInt((match[2] ?? match[1]) as string)]);
    }
    set.set(uuid.toLowerCase(), intervals);
  }
  return set;
}

/** Every interval of `inner` lies within one interval of `outer` (MySQL keeps sets merged). */
function contains(outer: Map<string, Intervals>, inner: Map<string, Intervals>): boolean {
  for (const [uuid, intervals] of inner) {
    const around = outer.get(uuid) ?? [];
    for (const [start, end] of intervals) {
      if (!around.some(([s, e]) => s <= start && end <= e)) return false;
    }
  }
  return true;
}

/** MySQL-family positions, either flavour: MySQL's GTID sets name a source uuid before a colon. */
export const compareMysqlFamilyPositions: ComparePositions = (a, b) => {
  const mysqlSets = a.includes(':') || b.includes(':');
  return mysqlSets ? compareMysqlPositions(a, b) : compareMariadbPositions(a, b);
};

/**
 * Whether a MySQL-family primary whose lineage (NodeProbe.lineage) is `lineage` holds every
 * transaction of `position`. MySQL: set containment of GTID sets. MariaDB: the lineage is the
 * node's gtid_binlog_state and gtid_slave_pos (the last GTID of each server it has transactions
 * of), matched by domain and server (mariadbHolds).
 */
export function mysqlFamilyHolds(lineage: string, position: string): boolean | undefined {
  if (lineage.includes(':') || position.includes(':')) {
    const outer = gtidSet(lineage);
    const inner = gtidSet(position);
    return outer && inner ? contains(outer, inner) : undefined;
  }
  const wanted = parseGtidList(position);
  if (wanted.length === 0) return undefined;
  return mariadbHolds(parseGtidList(lineage), wanted);
}

/**
 * Whether a MariaDB node whose history holds `have` (the last GTID of each server, from its binary
 * log and its replication state) holds every transaction up to `wanted`. Matched by server as well
 * as domain: a new primary continues the domain's sequence with its own server id, so a higher
 * number alone does not mean it has the old primary's transactions.
 */
export function mariadbHolds(have: readonly MariadbGtid[], wanted: readonly MariadbGtid[]): boolean {
  return wanted.every((gtid) =>
    have.some((h) => h.domain === gtid.domain && h.server === gtid.server && h.sequence >= gtid.sequence),
  );
}
