import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock';
import type { NodeView } from '../../src/core/node';
import { chooseCandidate } from '../../src/core/promotion/candidate';
import { type ResolvedPromotionOptions, resolvePromotionOptions } from '../../src/core/promotion/options';
import { Promoter } from '../../src/core/promotion/promoter';
import { promotionVerdict, type VerdictInput } from '../../src/core/promotion/verdict';
import type { TopologySnapshot } from '../../src/core/topology';
import {
  compareMariadbPositions,
  compareMysqlFamilyPositions,
  compareMysqlPositions,
  comparePgPositions,
} from '../../src/dialects/positions';
import { postgresDialect } from '../../src/dialects/postgres/dialect';
import { nodeView } from './support/node-view';

describe('positions compare', () => {
  it('PostgreSQL LSNs by their byte offset', () => {
    expect(comparePgPositions('0/3000060', '0/3000000')).toBe(1);
    expect(comparePgPositions('0/3000060', '1/0')).toBe(-1);
    expect(comparePgPositions('A/10', 'A/10')).toBe(0);
    expect(comparePgPositions('nonsense', '0/1')).toBeUndefined();
  });

  it('MariaDB GTID lists per domain; diverged lists do not compare', () => {
    expect(compareMariadbPositions('0-1-42', '0-1-41')).toBe(1);
    expect(compareMariadbPositions('0-2-43', '0-1-42')).toBe(1); // a new primary continues the sequence
    expect(compareMariadbPositions('0-1-42,1-3-7', '0-1-42')).toBe(1);
    expect(compareMariadbPositions('0-1-42', '0-1-42')).toBe(0);
    expect(compareMariadbPositions('0-1-42,1-3-5', '0-1-40,1-3-7')).toBeUndefined();
    expect(compareMariadbPositions('', '0-1-1')).toBe(-1);
  });

  it('MySQL GTID sets by inclusion', () => {
    const u = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const v = '4e11fa47-71ca-11e1-9e33-c80aa9429562';
    expect(compareMysqlPositions(`${u}:1-42`, `${u}:1-40`)).toBe(1);
    expect(compareMysqlPositions(`${u}:1-42,${v}:1-3`, `${u}:1-42`)).toBe(1);
    expect(compareMysqlPositions(`${u}:1-42`, `${u.toUpperCase()}:1-42`)).toBe(0);
    expect(compareMysqlPositions(`${u}:1-40:42`, `${u}:1-41`)).toBeUndefined();
    expect(compareMysqlFamilyPositions(`${u}:1-5`, `${u}:1-6`)).toBe(-1);
    expect(compareMysqlFamilyPositions('0-1-6', '0-1-5')).toBe(1);
  });
});

describe('chooseCandidate', () => {
  it('takes the replica that holds the most, ties to the first by name', () => {
    const replicas = [
      { node: 'db3', position: '0/500' },
      { node: 'db2', position: '0/700' },
      { node: 'db4', position: '0/700' },
    ];
    expect(chooseCandidate(replicas, comparePgPositions)).toEqual({
      chosen: { node: 'db2', position: '0/700' },
    });
  });

  it('chooses none when histories diverged, or when there is no replica', () => {
    const diverged = [
      { node: 'db2', position: '0-1-42,1-3-5' },
      { node: 'db3', position: '0-1-40,1-3-7' },
    ];
    expect(chooseCandidate(diverged, compareMariadbPositions)).toEqual({ reason: 'positions-diverge' });
    expect(chooseCandidate([], comparePgPositions)).toEqual({ reason: 'no-replica' });
  });
});

describe('promotionVerdict', () => {
  const node = (name: string, overrides: Partial<NodeView> = {}): NodeView =>
    nodeView(name, { replication: { receiving: false }, ...overrides });
  const lostPrimary = (nodes: NodeView[], overrides: Partial<VerdictInput> = {}): VerdictInput => ({
    snapshot: { version: 1, primary: null, nodes, generation: 1 } as TopologySnapshot,
    lastPrimary: 'db1',
    primaryDownForMs: 1000,
    detectAfterMs: 500,
    coolingDown: false,
    ...overrides,
  });
  const down = node('db1', { role: 'unknown', healthy: false, replication: undefined });

  it('promotes when the primary is gone for long enough and every replica has lost it too', () => {
    expect(promotionVerdict(lostPrimary([down, node('db2'), node('db3')]))).toEqual({
      act: 'promote',
      lost: 'db1',
      replicas: ['db2', 'db3'],
      reachable: ['db2', 'db3'],
    });
  });

  it('takes the locks on a fenced former primary too, and chooses among the replicas only', () => {
    const fenced = node('db3', { role: 'primary', excluded: 'stale-primary', replication: undefined });
    expect(promotionVerdict(lostPrimary([down, node('db2'), fenced]))).toEqual({
      act: 'promote',
      lost: 'db1',
      replicas: ['db2'],
      reachable: ['db2', 'db3'],
    });
  });

  it('never promotes while a replica still receives: the fault is between this app and the primary', () => {
    const receiving = node('db3', { replication: { receiving: true, sourceHost: 'db1', sourcePort: 5432 } });
    expect(promotionVerdict(lostPrimary([down, node('db2'), receiving]))).toEqual({
      act: 'skip',
      reason: 'replicas-still-receiving',
    });
  });

  it('waits for detectAfterMs, and does nothing while a primary is known', () => {
    const nodes = [down, node('db2'), node('db3')];
    expect(promotionVerdict(lostPrimary(nodes, { primaryDownForMs: 300 }))).toEqual({ act: 'none' });
    expect(promotionVerdict(lostPrimary(nodes, { primaryDownForMs: undefined }))).toEqual({ act: 'none' });
    // A pool that never saw a primary promotes nothing.
    expect(promotionVerdict(lostPrimary(nodes, { lastPrimary: null }))).toEqual({ act: 'none' });
    const primary = node('db2', { role: 'primary', writable: true, replication: undefined });
    const withPrimary = lostPrimary(nodes);
    expect(
      promotionVerdict({
        ...withPrimary,
        snapshot: { ...withPrimary.snapshot, primary } as TopologySnapshot,
      }),
    ).toEqual({ act: 'none' });
  });

  it.each([
    ['no majority answers', [down, node('db2'), node('db3', { healthy: false })], {}, 'no-majority'],
    [
      'a replica does not say whether it receives',
      [down, node('db2'), node('db3', { replication: undefined })],
      {},
      'replication-state-unknown',
    ],
    ['within the cool-down', [down, node('db2'), node('db3')], { coolingDown: true }, 'cooling-down'],
  ] as const)('skips when %s', (_what, nodes, overrides, reason) => {
    expect(promotionVerdict(lostPrimary([...nodes], overrides))).toEqual({ act: 'skip', reason });
  });
});

describe('promotion options', () => {
  it('are off unless enabled, with documented defaults, the password hidden', () => {
    expect(resolvePromotionOptions(undefined)).toBeUndefined();
    expect(resolvePromotionOptions({ user: 'admin' })).toBeUndefined();
    const resolved = resolvePromotionOptions({ enabled: true, user: 'admin', password: 'secret' });
    expect(resolved).toMatchObject({ detectAfterMs: 500, cooldownMs: 60_000, promoteTimeoutMs: 10_000 });
    expect(resolved?.account?.password).toBe('secret');
    expect(JSON.stringify(resolved)).not.toContain('secret');
  });

  it.each([
    [{ enabled: 'yes' }, 'promotion.enabled'],
    [{ enabled: true, detectAfterMs: -1 }, 'promotion.detectAfterMs'],
    [{ enabled: true, password: 'x' }, 'promotion.password'],
    [{ enabled: true, user: '' }, 'promotion.user'],
    [{ enabled: true, cooldown: 5 }, 'promotion.cooldown'],
  ])('name the option at fault: %j', (value, option) => {
    expect(() => resolvePromotionOptions(value)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
  });
});

describe('promotion.replicationHosts', () => {
  const nodes = [
    { name: 'db1-proxy:6432', host: 'db1-proxy', port: 6432 },
    { name: 'db2-proxy:6432', host: 'db2-proxy', port: 6432 },
  ];
  const driver = {
    dialect: postgresDialect,
    openProbeSession: () => {
      throw new Error('not in this test');
    },
  };
  const promoter = (replicationHosts: Record<string, string>) =>
    new Promoter(
      nodes,
      driver,
      resolvePromotionOptions({ enabled: true, replicationHosts }) as ResolvedPromotionOptions,
      systemClock,
      () => undefined,
    );

  it('takes an address per listed node', () => {
    expect(() =>
      promoter({ 'db1-proxy:6432': 'db1.internal:5432', 'db2-proxy:6432': 'db2.internal' }),
    ).not.toThrow();
  });

  it('refuses a key that names no listed node, and a value that is no address', () => {
    expect(() => promoter({ 'db3:5432': 'db3.internal:5432' })).toThrow(
      expect.objectContaining({ code: 'CONFIG', option: "promotion.replicationHosts['db3:5432']" }),
    );
    expect(() =>
      resolvePromotionOptions({ enabled: true, replicationHosts: { 'db1-proxy:6432': 5432 } }),
    ).toThrow(expect.objectContaining({ option: 'promotion.replicationHosts' }));
    expect(() => promoter({ 'db1-proxy:6432': 'db1:notaport' })).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
  });
});

describe('Promoter on a node that freezes mid-attempt', () => {
  it('stops at once: the sessions of an attempt under way are closed, their statements fail', async () => {
    const nodes = ['db1:5432', 'db2:5432', 'db3:5432'].map((name) => ({
      name,
      host: name.split(':')[0] as string,
      port: 5432,
    }));
    const destroyed: string[] = [];
    // Sessions that log in, then never answer a statement until they are closed.
    const driver = {
      dialect: postgresDialect,
      openProbeSession: (node: { name: string }) => {
        let fail: (error: Error) => void = () => undefined;
        const answer = new Promise<never>((_resolve, reject) => {
          fail = reject;
        });
        return {
          ready: Promise.resolve(),
          run: () => answer,
          onFailure: () => undefined,
          destroy: () => {
            destroyed.push(node.name);
            fail(new Error('closed'));
          },
          end: async () => undefined,
        };
      },
    };
    const promoter = new Promoter(
      nodes,
      driver,
      resolvePromotionOptions({ enabled: true, detectAfterMs: 0 }) as ResolvedPromotionOptions,
      systemClock,
      () => undefined,
    );
    const view = (name: string, overrides: Partial<NodeView>): NodeView =>
      nodeView(name, { replication: { receiving: false }, ...overrides });
    const base = { version: 1, generation: 1, primary: null };
    const primary = view('db1:5432', { role: 'primary', writable: true, replication: undefined });
    promoter.update({ ...base, primary, nodes: [primary, view('db2:5432', {}), view('db3:5432', {})] }, null);
    const gone = view('db1:5432', { role: 'unknown', healthy: false, replication: undefined });
    const snapshot = { ...base, nodes: [gone, view('db2:5432', {}), view('db3:5432', {})] };
    promoter.update(snapshot, 'db1:5432');
    await new Promise((resolve) => setTimeout(resolve, 20));
    promoter.update(snapshot, 'db1:5432'); // detectAfterMs 0: the attempt starts, and hangs on the locks
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopped = await Promise.race([
      promoter.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
    ]);
    expect(stopped).toBe('stopped');
    // The read of db1's durability settings (when it was primary) hung too, then the attempt's two.
    expect(destroyed.sort()).toEqual(['db1:5432', 'db2:5432', 'db3:5432']);
  });
});

describe('Promoter fencing a former primary', () => {
  it('fences once while the probes still see it writable, and again once it turned writable after being read-only', async () => {
    const nodes = ['db1:5432', 'db2:5432', 'db3:5432'].map((name) => ({
      name,
      host: name.split(':')[0] as string,
      port: 5432,
    }));
    let readOnly = 'off';
    const fences: string[] = [];
    // A session that answers what fencing a PostgreSQL node asks (setting, ALTER SYSTEM, reload).
    const driver = {
      dialect: postgresDialect,
      openProbeSession: (node: { name: string }) => ({
        ready: Promise.resolve(),
        run: async (sql: string) => {
          if (sql.startsWith('ALTER SYSTEM SET default_transaction_read_only')) {
            fences.push(node.name);
            readOnly = 'on';
          }
          if (sql.includes('current_setting($1)')) return [{ value: readOnly }];
          return [{ names: '' }];
        },
        onFailure: () => undefined,
        destroy: () => undefined,
        end: async () => undefined,
      }),
    };
    const fenced: unknown[] = [];
    const promoter = new Promoter(
      nodes,
      driver,
      resolvePromotionOptions({ enabled: true }) as ResolvedPromotionOptions,
      systemClock,
      (event, ...args) => {
        if (event === 'fenced') fenced.push(args[0]);
      },
    );
    const primary = nodeView('db2:5432', { role: 'primary', writable: true });
    const stale = nodeView('db1:5432', { role: 'primary', writable: true, excluded: 'stale-primary' });
    const snapshot = (db1: NodeView): TopologySnapshot => ({
      version: 1,
      generation: 2,
      primary,
      nodes: [db1, primary, nodeView('db3:5432')],
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    promoter.update(snapshot(stale), 'db2:5432');
    await settle();
    promoter.update(snapshot(stale), 'db2:5432'); // a probe taken before the fence took effect
    await settle();
    expect(fenced).toEqual([{ node: 'db1:5432' }]);
    promoter.update(snapshot({ ...stale, writable: false }), 'db2:5432');
    readOnly = 'off'; // someone made it writable again
    promoter.update(snapshot(stale), 'db2:5432');
    await settle();
    expect(fences).toEqual(['db1:5432', 'db1:5432']);
    expect(fenced).toHaveLength(2);
    await promoter.stop();
  });
});
