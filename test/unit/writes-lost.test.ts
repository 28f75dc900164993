import { describe, expect, it } from 'vitest';
import { WritesLostDetector } from '../../src/core/loss/writes-lost';
import type { NodeView } from '../../src/core/node';
import type { TopologySnapshot } from '../../src/core/topology';
import { comparePgPositions, mysqlFamilyHolds } from '../../src/dialects/positions';
import { postgresDialect } from '../../src/dialects/postgres/dialect';
import { nodeView } from './support/node-view';

/** Positions as plain LSNs `0/N`; the monitor's clock in ms, shown as dates from the epoch. */
const lsn = (n: number) => `0/${n.toString(16).toUpperCase()}`;
const primary = (name: string, n: number, at: number, lineage?: number): NodeView =>
  nodeView(name, {
    role: 'primary',
    writable: true,
    position: lsn(n),
    answeredAt: at,
    probeMs: 5,
    ...(lineage !== undefined && { lineage: lsn(lineage) }),
  });
const replica = (name: string, n: number, at: number): NodeView =>
  nodeView(name, { position: lsn(n), answeredAt: at, probeMs: 5 });
const snapshot = (nodes: NodeView[]): TopologySnapshot =>
  ({
    version: 1,
    generation: 1,
    nodes,
    primary: nodes.find((n) => n.role === 'primary') ?? null,
  }) as TopologySnapshot;
const down = nodeView('a', { healthy: false });

function detector() {
  return new WritesLostDetector(comparePgPositions, postgresDialect.holdsPosition, (at) => new Date(at));
}

describe('writesLost: the verdict and its window', () => {
  it("a new primary whose lineage lacks the old one's last position: lost, dated from the probes", () => {
    const d = detector();
    d.update(snapshot([primary('a', 100, 1_000), replica('b', 100, 1_010)]));
    d.update(snapshot([primary('a', 300, 2_000), replica('b', 100, 1_010)]));
    d.update(snapshot([down, replica('b', 100, 2_500)]));
    const event = d.update(snapshot([down, primary('b', 120, 3_000, 100)]));
    expect(event).toMatchObject({
      from: 'a',
      to: 'b',
      lastKnownPosition: lsn(300),
      newPrimaryPosition: lsn(100),
      fromToken: false,
    });
    // After the probe (started at 995) that saw a at a position b holds; up to a's last answer.
    expect(event?.since.getTime()).toBe(995);
    expect(event?.until.getTime()).toBe(2_000);
    expect(event?.windowMs).toBe(1_005);
  });

  it('the lineage decides, whatever the replica probes said; without one, a fresh replica position does', () => {
    // b's last replica probe is stale (before a's last answer) and behind, but b replayed it all.
    const kept = detector();
    kept.update(snapshot([replica('b', 100, 1_500), primary('a', 300, 2_000)]));
    expect(kept.update(snapshot([primary('b', 320, 3_000, 300)]))).toBeUndefined();
    // No lineage (restarted since its promotion), stale replica position: nothing is said.
    const stale = detector();
    stale.update(snapshot([replica('b', 100, 1_500), primary('a', 300, 2_000)]));
    expect(stale.update(snapshot([primary('b', 320, 3_000)]))).toBeUndefined();
    // No lineage, fresh replica position behind: lost.
    const fresh = detector();
    fresh.update(snapshot([primary('a', 300, 2_000), replica('b', 100, 2_500)]));
    expect(fresh.update(snapshot([primary('b', 320, 3_000)]))?.lastKnownPosition).toBe(lsn(300));
  });

  it('a causal token handed out after the last probe widens what the old primary is known to hold', () => {
    const d = detector();
    d.update(snapshot([primary('a', 300, 2_000), replica('b', 300, 2_500)]));
    d.tokenIssued('a', lsn(350), 2_700);
    const event = d.update(snapshot([primary('b', 320, 3_000, 300)]));
    expect(event).toMatchObject({ lastKnownPosition: lsn(350), fromToken: true });
    expect(event?.until.getTime()).toBe(2_700);
  });

  it('no verdict while the primary stays the same', () => {
    const d = detector();
    expect(d.update(snapshot([primary('a', 100, 1_000)]))).toBeUndefined();
    expect(d.update(snapshot([primary('a', 200, 2_000)]))).toBeUndefined();
  });
});

describe('writesLost: what a MySQL-family primary holds (its lineage)', () => {
  it('MariaDB: matched by server as well as domain', () => {
    expect(mysqlFamilyHolds('0-1-7', '0-1-7')).toBe(true);
    expect(mysqlFamilyHolds('0-1-9,0-2-12', '0-1-7')).toBe(true);
    // The new primary (server 2) continued the domain past 7, but had only 0-1-2 of server 1.
    expect(mysqlFamilyHolds('0-1-2,0-2-9', '0-1-7')).toBe(false);
    expect(mysqlFamilyHolds('0-1-7', '0-1-7,1-3-4')).toBe(false);
  });

  it('MySQL: set containment, whatever the new primary wrote since', () => {
    const a = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const b = '4f22ab58-82db-11e1-9e33-c80aa9429563';
    expect(mysqlFamilyHolds(`${a}:1-75,${b}:1-3`, `${a}:1-75`)).toBe(true);
    expect(mysqlFamilyHolds(`${a}:1-70,${b}:1-3`, `${a}:1-75`)).toBe(false);
  });
});
