import { describe, expect, it } from 'vitest';
import { WritesLostDetector } from '../../src/core/loss/writes-lost';
import type { NodeView } from '../../src/core/node';
import type { TopologySnapshot } from '../../src/core/topology';
import { parseGtidList } from '../../src/dialects/mysql/gtid';
import { mariadbHolds } from '../../src/dialects/mysql/operations';
import { comparePgPositions } from '../../src/dialects/positions';
import { nodeView } from './support/node-view';

/** Positions as plain LSNs `0/N`; the monitor's clock in ms, shown as dates from the epoch. */
const lsn = (n: number) => `0/${n.toString(16).toUpperCase()}`;
const primary = (name: string, n: number, at: number): NodeView =>
  nodeView(name, { role: 'primary', writable: true, position: lsn(n), answeredAt: at, probeMs: 5 });
const replica = (name: string, n: number, at: number): NodeView =>
  nodeView(name, { position: lsn(n), answeredAt: at, probeMs: 5 });
const snapshot = (nodes: NodeView[]): TopologySnapshot =>
  ({
    version: 1,
    generation: 1,
    nodes,
    primary: nodes.find((n) => n.role === 'primary') ?? null,
  }) as TopologySnapshot;

function detector() {
  return new WritesLostDetector(comparePgPositions, (at) => new Date(at));
}

describe('writesLost: what the probes show', () => {
  it('a new primary last seen as a replica behind the old one: lost, dated from the probes', () => {
    const d = detector();
    d.update(snapshot([primary('a', 100, 1_000), replica('b', 100, 1_010)]));
    d.update(snapshot([primary('a', 300, 2_000), replica('b', 100, 1_010)]));
    d.update(snapshot([nodeView('a', { healthy: false }), replica('b', 100, 2_500)]));
    const check = d.update(snapshot([nodeView('a', { healthy: false }), primary('b', 120, 3_000)]));
    expect(check?.byProbes).toBe('lost');
    expect(check?.event).toMatchObject({
      from: 'a',
      to: 'b',
      lastKnownPosition: lsn(300),
      newPrimaryPosition: lsn(100),
      fromToken: false,
    });
    // After the probe (started at 995) that saw a at a position b holds; up to a's last answer.
    expect(check?.event.since.getTime()).toBe(995);
    expect(check?.event.until.getTime()).toBe(2_000);
    expect(check?.event.windowMs).toBe(1_005);
  });

  it('a new primary that had caught up: kept; one seen as a replica before the old primary last answered: unknown', () => {
    const d = detector();
    d.update(snapshot([primary('a', 300, 2_000), replica('b', 300, 2_500)]));
    expect(d.update(snapshot([primary('b', 320, 3_000)]))?.byProbes).toBe('kept');
    const e = detector();
    e.update(snapshot([replica('b', 100, 1_500), primary('a', 300, 2_000)]));
    expect(e.update(snapshot([primary('b', 320, 3_000)]))?.byProbes).toBe('unknown');
  });

  it('a causal token handed out after the last probe widens what the old primary is known to hold', () => {
    const d = detector();
    d.update(snapshot([primary('a', 300, 2_000), replica('b', 300, 2_500)]));
    d.tokenIssued('a', lsn(350), 2_700);
    const check = d.update(snapshot([primary('b', 320, 3_000)]));
    expect(check?.byProbes).toBe('lost');
    expect(check?.event).toMatchObject({ lastKnownPosition: lsn(350), fromToken: true });
    expect(check?.event.until.getTime()).toBe(2_700);
  });

  it('no check while the primary stays the same', () => {
    const d = detector();
    expect(d.update(snapshot([primary('a', 100, 1_000)]))).toBeUndefined();
    expect(d.update(snapshot([primary('a', 200, 2_000)]))).toBeUndefined();
  });
});

describe('writesLost: what a MariaDB new primary holds', () => {
  const holds = (have: string, wanted: string) => mariadbHolds(parseGtidList(have), parseGtidList(wanted));

  it('matches the old primary by server as well as domain', () => {
    expect(holds('0-1-7', '0-1-7')).toBe(true);
    expect(holds('0-1-9,0-2-12', '0-1-7')).toBe(true);
    // The new primary (server 2) continued the domain past 7, but had only 0-1-2 of server 1.
    expect(holds('0-1-2,0-2-9', '0-1-7')).toBe(false);
    expect(holds('0-1-7', '0-1-7,1-3-4')).toBe(false);
  });
});
