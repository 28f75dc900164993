import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlPromisePool, type FailoverMysqlPromisePool } from '../../src/drivers/mysql2';
import { type GaleraCluster, startGaleraCluster } from '../../src/testing';
import { endGaleraSuite, galeraUnavailable } from './support/galera-suite';
import { eventually } from './support/wait';

/*
 * Reads on a real 3-node MariaDB Galera cluster (issue 15, item 5): `readFrom: 'replica'` spreads
 * over the usable members other than the writer; a read `after` a causal token makes its member
 * apply what the group had committed first (wsrep_sync_wait), which the member's own counter
 * `wsrep_causal_reads` shows; a desynced member gets no reads.
 */

type Row = Record<string, unknown>;

describe.skipIf(galeraUnavailable('the Galera read tests') !== undefined)('replica reads on Galera', () => {
  let cluster: GaleraCluster;
  let writer: FailoverMysqlPromisePool;
  let reader: FailoverMysqlPromisePool;
  const portOf = (node: string) => cluster.node(node).port;
  const nodeOfPort = (port: number) => cluster.nodes.find((n) => n.port === port)?.name ?? `port ${port}`;
  const newPool = () =>
    createMysqlPromisePool({
      ...cluster.connectionOptions,
      connectionLimit: 4,
      monitor: { intervalMs: 500, timeoutMs: 2_000 },
      reads: { causalWaitMs: 5_000 },
    });
  const causalReads = async (node: string) => {
    const [row] = await cluster.query<Row>(node, "SHOW GLOBAL STATUS LIKE 'wsrep_causal_reads'");
    return Number(row?.Value);
  };
  /** The writer's harness name, once both pools agree on it and see two readable members. */
  const ready = () =>
    eventually(
      'both pools to agree on a writer, with two members to read from',
      () => {
        const [a, b] = [writer.topology().primary, reader.topology().primary];
        const members = reader.health().nodes.filter((n) => n.role === 'replica' && n.lagMs === 0);
        if (a === null || a !== b || members.length !== 2) return undefined;
        return cluster.nodes[cluster.connectionOptions.hosts.indexOf(a)]?.name;
      },
      30_000,
    );

  beforeAll(async () => {
    cluster = await startGaleraCluster();
    await cluster.query(cluster.primary, 'CREATE TABLE carts (id INT PRIMARY KEY, items INT)', [], {
      as: 'app',
    });
    writer = newPool();
    reader = newPool();
  }, 180_000);

  afterAll(() => endGaleraSuite(cluster, [writer, reader]), 60_000);

  it('spreads reads over the two members that are not the writer; plain reads make no causality check', async () => {
    const writerNode = await ready();
    const others = cluster.nodes.map((n) => n.name).filter((n) => n !== writerNode);
    const before = await Promise.all(others.map(causalReads));
    const served = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const [rows] = await reader.query({ sql: 'SELECT @@port AS port', readFrom: 'replica' });
      const node = nodeOfPort(Number((rows as Row[])[0]?.port));
      served.set(node, (served.get(node) ?? 0) + 1);
    }
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(others.map((n) => [n, 5])));
    expect(await Promise.all(others.map(causalReads))).toEqual(before);
    expect(reader.metrics().replicaReads.replica).toBe(10);
  });

  it('a read after a causal token from another pool sees the write, on a member, after its causality check', async () => {
    const writerNode = await ready();
    const others = cluster.nodes.map((n) => n.name).filter((n) => n !== writerNode);
    const before = new Map(await Promise.all(others.map(async (n) => [n, await causalReads(n)] as const)));
    const served = new Map<string, number>();
    for (let id = 1; id <= 12; id++) {
      await writer.query('INSERT INTO carts (id, items) VALUES (?, ?)', [id, id]);
      const after = await writer.causalToken();
      const [rows] = await reader.query({
        sql: 'SELECT @@port AS port, (SELECT items FROM carts WHERE id = ?) AS items',
        values: [id],
        readFrom: 'replica',
        after,
      });
      const row = (rows as Row[])[0];
      expect(Number(row?.items), `cart ${id} read after its token`).toBe(id);
      const node = nodeOfPort(Number(row?.port));
      served.set(node, (served.get(node) ?? 0) + 1);
    }
    // All on members (none fell back to the writer), each after one causality check of its own.
    expect([...served.keys()].every((n) => others.includes(n))).toBe(true);
    for (const node of others) {
      expect(await causalReads(node), `causality checks on ${node}`).toBe(
        (before.get(node) ?? 0) + (served.get(node) ?? 0),
      );
    }
  });

  it('a desynced member gets no reads; the other one takes them all', async () => {
    const writerNode = await ready();
    const [desynced, other] = cluster.nodes.map((n) => n.name).filter((n) => n !== writerNode) as [
      string,
      string,
    ];
    await cluster.query(desynced, 'SET GLOBAL wsrep_desync = ON');
    try {
      await eventually(
        `${desynced} seen desynced`,
        () =>
          reader
            .health()
            .nodes.find(
              (n) =>
                n.node ===
                cluster.connectionOptions.hosts[cluster.nodes.findIndex((x) => x.name === desynced)],
            )?.excluded === 'not-synced',
        15_000,
      );
      for (let i = 0; i < 6; i++) {
        const [rows] = await reader.query({ sql: 'SELECT @@port AS port', readFrom: 'replica' });
        expect(Number((rows as Row[])[0]?.port)).toBe(portOf(other));
      }
    } finally {
      await cluster.query(desynced, 'SET GLOBAL wsrep_desync = OFF');
    }
    await ready();
  });
});
