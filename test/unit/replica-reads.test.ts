import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { decodeCausalToken, encodeCausalToken } from '../../src/core/reads/causal-token';
import { eligibleReplicas, ReplicaTurns } from '../../src/core/reads/eligible-replicas';
import { resolveReadsOptions } from '../../src/core/reads/options';
import { ReplicaReads } from '../../src/core/reads/replica-reads';
import type { TopologySnapshot } from '../../src/core/topology';
import { nodeView } from './support/node-view';

const snapshot = (nodes: TopologySnapshot['nodes']): TopologySnapshot =>
  ({ version: 1, primary: nodes.find((n) => n.role === 'primary') ?? null, nodes }) as TopologySnapshot;

describe('replica reads: which replicas may read', () => {
  const primary = nodeView('db1', { role: 'primary', writable: true });
  const fit = nodeView('db2', { lagMs: 120, replication: { receiving: true } });

  it('takes healthy, streaming replicas within the bound, never the primary', () => {
    const names = (nodes: TopologySnapshot['nodes'], bound = 500) =>
      eligibleReplicas(snapshot([primary, ...nodes]), bound).map((n) => n.name);
    expect(names([fit])).toEqual(['db2']);
    expect(names([fit], 100)).toEqual([]);
    expect(names([{ ...fit, healthy: false }])).toEqual([]);
    expect(names([{ ...fit, suspect: true }])).toEqual([]);
    expect(names([{ ...fit, excluded: 'cluster-mismatch' }])).toEqual([]);
    expect(names([{ ...fit, replication: { receiving: false } }])).toEqual([]);
    // Staleness unknown (the account may not read the replica status): no reads, the bound cannot be kept.
    expect(names([nodeView('db3')])).toEqual([]);
  });

  it('spreads reads in turn, skipping the replicas a read failed on', () => {
    const nodes = ['db2', 'db3', 'db4'].map((name) => nodeView(name, { lagMs: 0 }));
    const turns = new ReplicaTurns();
    const picks = Array.from({ length: 6 }, () => turns.next(nodes, new Set())?.name);
    expect(picks).toEqual(['db2', 'db3', 'db4', 'db2', 'db3', 'db4']);
    expect(turns.next(nodes, new Set(['db2']))?.name).toBe('db3');
    expect(turns.next(nodes, new Set(['db2', 'db3', 'db4']))).toBeUndefined();
    // A replica leaving does not send two reads in a row to the same one.
    expect(
      turns.next(
        [nodes[0], nodes[2]].filter((n) => n !== undefined),
        new Set(),
      )?.name,
    ).toBe('db4');
  });
});

describe('replica reads: causal tokens', () => {
  it('round-trip as a cookie-safe string', () => {
    const token = encodeCausalToken({ engine: 'mysql', position: '0-1-42,1-2-7', generation: 3 });
    expect(token).toMatch(/^fp1\.[A-Za-z0-9_-]+$/);
    expect(decodeCausalToken(token, 'mysql')).toEqual({
      engine: 'mysql',
      position: '0-1-42,1-2-7',
      generation: 3,
    });
  });

  it('refuse what is not a token, a damaged one, and one from the other engine, naming the option', () => {
    const pg = encodeCausalToken({ engine: 'postgres', position: '0/3000148', generation: 2 });
    for (const bad of [undefined, 42, 'abc', 'fp1.%%%', `${pg.slice(0, 10)}`]) {
      expect(() => decodeCausalToken(bad, 'postgres')).toThrow(ConfigError);
    }
    expect(() => decodeCausalToken(pg, 'mysql')).toThrow(
      /token is from a postgres pool, and this pool is mysql/,
    );
  });
});

describe('replica reads: options', () => {
  it('have defaults, and refuse what makes no sense with the option named', () => {
    expect(resolveReadsOptions(undefined)).toEqual({
      maxLagMs: 1_000,
      causalWaitMs: 1_000,
      fallback: 'primary',
    });
    expect(() => resolveReadsOptions({ maxLagMs: -1 })).toThrow(/reads.maxLagMs/);
    expect(() => resolveReadsOptions({ fallback: 'replica' })).toThrow(/reads.fallback/);
    expect(() => resolveReadsOptions({ maxlag: 5 })).toThrow(/reads/);
  });
});

describe("replica reads: the flags on pg's query", () => {
  it('readFrom and after are taken out of the config; a reader reads from replicas by default', async () => {
    const { parseQueryCall, refuseExactlyOnce } = await import('../../src/drivers/pg/query-args');
    const call = parseQueryCall({ text: 'SELECT 1', readFrom: 'replica', after: 'fp1.x' });
    expect(call).toMatchObject({
      config: { text: 'SELECT 1' },
      reRunnable: true,
      replica: { after: 'fp1.x' },
    });
    expect(call.config).not.toHaveProperty('readFrom');
    expect(parseQueryCall('SELECT 1').replica).toBeUndefined();
    expect(parseQueryCall('SELECT 1', undefined, undefined, false, 'replica').replica).toEqual({
      after: undefined,
    });
    expect(
      parseQueryCall({ text: 'SELECT 1', readFrom: 'primary' }, undefined, undefined, false, 'replica')
        .replica,
    ).toBeUndefined();
    expect(() => parseQueryCall({ text: 'SELECT 1', readFrom: 'any' as never })).toThrow(/query.readFrom/);
    expect(() => parseQueryCall({ text: 'INSERT ...', readFrom: 'replica', exactlyOnce: true })).toThrow(
      /replica takes no writes/,
    );
    expect(() => refuseExactlyOnce(call, 'a checked-out client')).toThrow(/query.readFrom/);
  });
});

describe('replica reads: a replica given up under reads', () => {
  const nodes = [
    nodeView('db1', { role: 'primary', writable: true }),
    nodeView('db2', { lagMs: 0 }),
    nodeView('db3', { lagMs: 0 }),
  ];
  type Conn = { node: string; destroyed: boolean; onDestroy?: () => void };

  /** db3 is frozen: its connect never answers (`hangConnect`), or its statement never does. */
  function setup(hangConnect: boolean) {
    let current = snapshot(nodes);
    const released: string[] = [];
    const host = {
      snapshot: () => current,
      poolFor: (node: { name: string }) => ({
        acquire: (cb: (error: unknown, connection?: Conn) => void) => {
          if (node.name === 'db3' && hangConnect) return;
          cb(undefined, { node: node.name, destroyed: false });
        },
        release: (c: Conn, destroy: boolean) => released.push(`${c.node}${destroy ? ' destroyed' : ''}`),
      }),
      classify: () => 'connection-lost' as const,
      reportFailure: () => undefined,
      sqlOn: () => async () => [],
      destroy: (c: Conn) => {
        c.destroyed = true;
        c.onDestroy?.();
      },
      operations: {} as never,
      clock: {} as never,
      onPrimary: () => {
        throw new Error('the primary must not read');
      },
    };
    const reads = new ReplicaReads<Conn>(host as never, resolveReadsOptions({}));
    const giveUpDb3 = () => {
      current = snapshot(nodes.map((n) => (n.name === 'db3' ? { ...n, healthy: false } : n)));
      reads.cutReadsOnLost(current);
    };
    return { reads, released, giveUpDb3 };
  }

  /** A read whose statement answers at once, except on db3, where it waits until its socket is closed. */
  const work = (c: Conn, _node: unknown, done: (error: unknown, result?: string) => void) => {
    if (c.node !== 'db3') return done(undefined, c.node);
    c.onDestroy = () => done(new Error('Connection terminated unexpectedly'));
  };

  for (const hangConnect of [false, true]) {
    it(`cuts a read ${hangConnect ? 'waiting for a connection to' : 'running on'} it and runs it on another replica`, async () => {
      const { reads, released, giveUpDb3 } = setup(hangConnect);
      // The turn goes db2 then db3: the second read lands on the frozen node.
      const first = new Promise((resolve) => reads.send(work as never, undefined, (_e, r) => resolve(r)));
      expect(await first).toBe('db2');
      let second: unknown;
      reads.send(work as never, undefined, (_e, r) => {
        second = r;
      });
      await Promise.resolve();
      expect(second).toBeUndefined();
      giveUpDb3();
      await Promise.resolve();
      expect(second).toBe('db2');
      expect(released).toEqual(hangConnect ? ['db2', 'db2'] : ['db2', 'db3 destroyed', 'db2']);
    });
  }
});
