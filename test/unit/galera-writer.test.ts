import { describe, expect, it } from 'vitest';
import { startedAt } from '../../src/core/galera-writer';
import type { GaleraState, NodeProbe } from '../../src/core/node';
import { deriveTopology, type NodeHealth } from '../../src/core/topology';

/** A version-1 UUID as Galera makes it for a node started at `time` (100 ns units). */
function uuidAt(time: bigint): string {
  const hex = time.toString(16).padStart(15, '0');
  return `${hex.slice(7)}-${hex.slice(3, 7)}-1${hex.slice(0, 3)}-b646-f354e29835c2`;
}

/** A Galera node in a Primary component, Synced and ready, unless `state` says otherwise. */
function galeraNode(name: string, started: bigint, state: Partial<GaleraState> = {}): NodeHealth {
  const galera = {
    clusterStatus: 'Primary',
    localState: 4,
    ready: true,
    nodeUuid: uuidAt(started),
    ...state,
  };
  const usable = galera.clusterStatus === 'Primary' && galera.localState === 4 && galera.ready;
  const probe: NodeProbe = { role: 'primary', writable: usable, galera: { ...galera, usable } };
  const [host, port] = name.split(':') as [string, string];
  return { address: { name, host, port: Number(port) }, healthy: true, suspect: false, known: true, probe };
}

const down = (node: NodeHealth): NodeHealth => ({ ...node, healthy: false, lastError: 'ECONNREFUSED' });
const writerOf = (states: NodeHealth[]) =>
  deriveTopology(states, { generation: 0 }, 1).snapshot.primary?.name;

describe('Galera: one writer, the same for every app instance', () => {
  // Started in this order: b, then c, then a.
  const a = galeraNode('a:1', 300n);
  const b = galeraNode('b:1', 100n);
  const c = galeraNode('c:1', 200n);

  it('writes go to the usable node that started first, whatever the host order; the others are replicas', () => {
    for (const order of [
      [a, b, c],
      [c, a, b],
      [b, c, a],
    ]) {
      const { snapshot } = deriveTopology(order, { generation: 0 }, 1);
      expect(snapshot.primary?.name).toBe('b:1');
      expect(snapshot.splitBrain).toBeUndefined();
      for (const view of snapshot.nodes) {
        expect(view.role).toBe(view.name === 'b:1' ? 'primary' : 'replica');
        expect(view.excluded).toBeUndefined();
      }
    }
  });

  it("reads the start time from the UUID's time fields, not its text: the low field wraps every 7 minutes", () => {
    const early = 0x1f1f12b_ffffff00n;
    const late = early + 0x200n; // time_low wrapped: its text sorts first
    expect(uuidAt(late) < uuidAt(early)).toBe(true);
    expect(startedAt({ clusterStatus: 'Primary', ready: true, usable: true, nodeUuid: uuidAt(early) })).toBe(
      early,
    );
    expect(writerOf([galeraNode('x:1', late), galeraNode('y:1', early)])).toBe('y:1');
    // As recorded from MariaDB 10.11: node1 started before node3.
    const recorded = (name: string, nodeUuid: string) => galeraNode(name, 0n, { nodeUuid });
    expect(
      writerOf([
        recorded('node3:1', '7ee2e776-f12b-11f1-ac07-fa55d3e3fce0'),
        recorded('node1:1', '7c80b12d-f12b-11f1-b646-f354e29835c2'),
      ]),
    ).toBe('node1:1');
  });

  it('no writer before every node has been heard once', () => {
    expect(writerOf([b, { ...a, known: false, healthy: false, probe: undefined }, c])).toBeUndefined();
  });

  it('a node started afresh and joining never takes the writes: it has a newer UUID', () => {
    expect(writerOf([a, down(b), c])).toBe('c:1');
    expect(writerOf([a, galeraNode('b:1', 400n), c])).toBe('c:1');
  });

  it('moves when the writer dies, leaves the Primary component or desyncs, to the next that started first', () => {
    expect(writerOf([a, down(b), c])).toBe('c:1');
    const isolated = deriveTopology(
      [a, galeraNode('b:1', 100n, { clusterStatus: 'non-Primary', ready: false }), c],
      { generation: 0 },
      1,
    ).snapshot;
    expect(isolated.primary?.name).toBe('c:1');
    expect(isolated.nodes[1]?.excluded).toBe('non-primary-component');
    const donor = deriveTopology(
      [a, galeraNode('b:1', 100n, { localState: 2, localStateComment: 'Donor/Desynced' }), c],
      { generation: 0 },
      1,
    ).snapshot;
    expect(donor.primary?.name).toBe('c:1');
    expect(donor.nodes[1]?.excluded).toBe('not-synced');
  });

  it('waits, rather than moves, while one query failed on the writer and no probe has told more', () => {
    expect(writerOf([a, { ...b, suspect: true }, c])).toBeUndefined();
    expect(writerOf([a, b, { ...c, suspect: true }])).toBe('b:1');
  });

  it('never uses a node outside the Primary component: with no Primary component, no writer', () => {
    const cut = (node: NodeHealth) => ({
      ...node,
      probe: {
        ...(node.probe as NodeProbe),
        writable: false,
        galera: {
          ...(node.probe?.galera as GaleraState),
          clusterStatus: 'non-Primary',
          ready: false,
          usable: false,
        },
      },
    });
    const split = deriveTopology([cut(a), cut(b), cut(c)], { generation: 0 }, 1).snapshot;
    expect(split.primary).toBeNull();
    expect(split.nodes.map((n) => n.excluded)).toEqual([
      'non-primary-component',
      'non-primary-component',
      'non-primary-component',
    ]);
    // An operator bootstraps a's side: a alone is Primary, and takes the writes.
    expect(writerOf([a, cut(b), cut(c)])).toBe('a:1');
    // b comes back with the UUID it had (it was cut off, not restarted): it started first, so it
    // takes the writes back, in every instance alike.
    expect(writerOf([a, b, cut(c)])).toBe('b:1');
  });

  it('does not write to a usable node that is read-only', () => {
    const readOnly: NodeHealth = { ...b, probe: { ...(b.probe as NodeProbe), writable: false } };
    expect(writerOf([a, readOnly, c])).toBe('c:1');
  });
});
