import { describe, expect, it } from 'vitest';
import type { NodeProbe } from '../../src/core/node';
import { deriveTopology, type NodeHealth, structuralKey } from '../../src/core/topology';

function node(
  name: string,
  probe: Partial<NodeProbe> | undefined,
  extra: Partial<NodeHealth> = {},
): NodeHealth {
  const [host, port] = name.split(':') as [string, string];
  return {
    address: { name, host, port: Number(port) },
    healthy: probe !== undefined,
    suspect: false,
    known: true,
    ...(probe ? { probe: { role: 'replica', writable: false, identity: 'A', ...probe } } : {}),
    ...extra,
  };
}

const primary = (generation: number, more: Partial<NodeProbe> = {}) =>
  ({ role: 'primary', writable: true, generation, ...more }) as const;

describe('deriveTopology', () => {
  it('takes the primary from what nodes say, not from their order', () => {
    const { snapshot } = deriveTopology(
      [node('a:1', {}), node('b:1', {}), node('c:1', primary(1))],
      { generation: 0 },
      1,
    );
    expect(snapshot.primary?.name).toBe('c:1');
    expect(snapshot.nodes.map((n) => n.role)).toEqual(['replica', 'replica', 'primary']);
  });

  it('has no primary while the primary is down or suspect', () => {
    const down = deriveTopology(
      [node('a:1', undefined, { probe: primary(1) }), node('b:1', {})],
      { generation: 1 },
      1,
    );
    expect(down.snapshot.primary).toBeNull();
    expect(down.snapshot.nodes[0]?.role).toBe('unknown');
    const suspect = deriveTopology(
      [node('a:1', primary(1), { suspect: true }), node('b:1', {})],
      { generation: 1 },
      1,
    );
    expect(suspect.snapshot.primary).toBeNull();
  });

  it('does not take a primary that is writable but read-only', () => {
    const { snapshot } = deriveTopology(
      [node('a:1', { role: 'primary', writable: false, generation: 1 })],
      { generation: 0 },
      1,
    );
    expect(snapshot.primary).toBeNull();
  });

  it('prefers the newer generation when two nodes accept writes, and marks the old one stale', () => {
    const { snapshot } = deriveTopology(
      [node('a:1', primary(1)), node('b:1', primary(2))],
      { generation: 1 },
      1,
    );
    expect(snapshot.primary?.name).toBe('b:1');
    expect(snapshot.nodes[0]?.excluded).toBe('stale-primary');
    expect(snapshot.generation).toBe(2);
  });

  it('never takes an old primary that comes back alone after a newer one was seen', () => {
    const { snapshot } = deriveTopology(
      [node('a:1', primary(1)), node('b:1', undefined)],
      { generation: 2 },
      1,
    );
    expect(snapshot.primary).toBeNull();
    expect(snapshot.nodes[0]?.excluded).toBe('stale-primary');
  });

  it('reports split brain when two writable nodes share the newest generation', () => {
    const { snapshot } = deriveTopology(
      [node('a:1', primary(2)), node('b:1', primary(2)), node('c:1', {})],
      { generation: 1 },
      1,
    );
    expect(snapshot.primary).toBeNull();
    expect(snapshot.splitBrain).toEqual(['a:1', 'b:1']);
    expect(snapshot.nodes.filter((n) => n.excluded === 'split-brain')).toHaveLength(2);
  });

  it('of two writable nodes of one generation, takes the one the replicas follow', () => {
    const follows = (host: string) => ({ replication: { receiving: true, sourceHost: host, sourcePort: 1 } });
    const { snapshot } = deriveTopology(
      [
        node('a:1', primary(0)),
        node('b:1', primary(0)),
        node('c:1', follows('b')),
        node('d:1', follows('b')),
      ],
      { generation: 0 },
      1,
    );
    expect(snapshot.primary?.name).toBe('b:1');
    expect(snapshot.splitBrain).toBeUndefined();
    expect(snapshot.nodes[0]?.excluded).toBe('stale-primary');
  });

  it('remembers the newest generation it has seen', () => {
    const { memory } = deriveTopology([node('a:1', primary(3))], { generation: 1 }, 1);
    expect(memory.generation).toBe(3);
  });

  it('refuses a node of another cluster, even a writable one', () => {
    const states = [node('a:1', {}), node('b:1', {}), node('x:1', primary(9, { identity: 'B' }))];
    const { snapshot } = deriveTopology(states, { generation: 0 }, 1);
    expect(snapshot.identity).toBe('A');
    expect(snapshot.primary).toBeNull();
    expect(snapshot.nodes[2]?.excluded).toBe('cluster-mismatch');
  });

  it('uses no node while as many nodes report one cluster identity as another', () => {
    const { snapshot } = deriveTopology(
      [node('x:1', { identity: 'B' }), node('a:1', primary(1))],
      { generation: 0 },
      1,
    );
    expect(snapshot.primary).toBeNull();
    expect(snapshot.identityConflict).toEqual(['B', 'A']);
    expect(snapshot.nodes.some((n) => n.excluded === 'cluster-mismatch')).toBe(false);
  });

  it('remembers the cluster identity once it was clear, so a later tie does not matter', () => {
    const first = deriveTopology(
      [node('x:1', { identity: 'B' }), node('a:1', primary(1)), node('b:1', {})],
      { generation: 0 },
      1,
    );
    expect(first.memory.identity).toBe('A');
    const later = deriveTopology(
      [
        node('x:1', primary(1, { identity: 'B' })),
        node('a:1', primary(1)),
        node('b:1', undefined, { probe: undefined }),
      ],
      first.memory,
      2,
    );
    expect(later.snapshot.primary?.name).toBe('a:1');
    expect(later.snapshot.nodes[0]?.excluded).toBe('cluster-mismatch');
  });

  it('calls no node foreign while some node has not been heard yet', () => {
    const { snapshot, memory } = deriveTopology(
      [node('x:1', { identity: 'B' }), node('a:1', primary(1)), node('b:1', {}, { known: false })],
      { generation: 0 },
      1,
    );
    expect(snapshot.nodes[0]?.excluded).toBeUndefined();
    expect(memory.identity).toBeUndefined();
  });

  it('chooses no primary until every node has answered or failed once', () => {
    const states = [node('a:1', primary(1)), node('b:1', undefined, { known: false })];
    const { snapshot } = deriveTopology(states, { generation: 0 }, 1);
    expect(snapshot.primary).toBeNull();
    expect(snapshot.discovering).toBe(true);
  });

  it('computes replica lag in bytes from positions', () => {
    const { snapshot } = deriveTopology(
      [node('a:1', primary(1, { positionBytes: 1000n })), node('b:1', { positionBytes: 400n })],
      { generation: 0 },
      1,
    );
    expect(snapshot.nodes[1]?.lagBytes).toBe(600);
    expect(JSON.stringify(snapshot)).toContain('"lagBytes":600');
  });

  it('changes its structural key on role or health changes only', () => {
    const a = deriveTopology([node('a:1', primary(1, { position: '0/1' }))], { generation: 0 }, 1).snapshot;
    const b = deriveTopology([node('a:1', primary(1, { position: '0/2' }))], { generation: 0 }, 2).snapshot;
    const c = deriveTopology([node('a:1', undefined)], { generation: 1 }, 3).snapshot;
    expect(structuralKey(a)).toBe(structuralKey(b));
    expect(structuralKey(a)).not.toBe(structuralKey(c));
  });
});
