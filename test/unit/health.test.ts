import { describe, expect, it } from 'vitest';
import { healthOf } from '../../src/core/health';
import type { TopologySnapshot } from '../../src/core/topology';
import { nodeView } from './support/node-view';

const node = nodeView;
const primary = node('db1', { role: 'primary', writable: true });
const snapshot = (overrides: Partial<TopologySnapshot>): TopologySnapshot => ({
  version: 1,
  generation: 1,
  primary: null,
  nodes: [primary, node('db2', { lagBytes: 120 }), node('db3')],
  ...overrides,
});
const state = { ended: false, waiting: 0, noPrimarySince: undefined, now: 10_000 };

describe('pool.health()', () => {
  it('is writable with a primary, and shows each node', () => {
    const health = healthOf(snapshot({ primary }), state);
    expect(health).toMatchObject({ writable: true, primary: 'db1', message: 'writes go to db1', waiting: 0 });
    expect(health.reason).toBeUndefined();
    expect(health.nodes[1]).toEqual({ node: 'db2', role: 'replica', healthy: true, lagBytes: 120 });
  });

  it('says why not, and for how long, without a primary', () => {
    const down = node('db1', { role: 'unknown', healthy: false });
    const health = healthOf(snapshot({ nodes: [down, node('db2'), node('db3')] }), {
      ...state,
      noPrimarySince: 9_250,
      waiting: 3,
    });
    expect(health).toMatchObject({
      writable: false,
      primary: null,
      reason: 'no-primary',
      noPrimaryForMs: 750,
      waiting: 3,
      message: 'no primary: writes wait for a failover (for 750 ms)',
    });
  });

  it('tells the causes apart', () => {
    const reason = (s: Partial<TopologySnapshot>, ended = false) =>
      healthOf(snapshot(s), { ...state, ended }).reason;
    expect(reason({ discovering: true })).toBe('discovering');
    expect(reason({ splitBrain: ['db1', 'db2'] })).toBe('split-brain');
    expect(reason({ identityConflict: ['a', 'b'] })).toBe('cluster-mismatch');
    expect(reason({ nodes: ['db1', 'db2'].map((n) => node(n, { healthy: false, role: 'unknown' })) })).toBe(
      'all-nodes-down',
    );
    // An ended pool takes no writes, whatever the monitor last saw.
    expect(reason({ primary }, true)).toBe('ended');
  });
});
