import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { bigint, pgTable, withReplicas } from 'drizzle-orm/pg-core';
import { Kysely, sql as ksql, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPgPool } from '../../src/drivers/pg';
import { startPgCluster } from '../../src/testing';
import { withWritesTable } from './support/engine-fixture';
import { clusterPorts, replicasMeasured } from './support/replica-nodes';
import { endedAfterEach } from './support/resources';

/**
 * `pool.reader()` (docs/reads.md) on a real PostgreSQL cluster: a pg.Pool whose statements read from
 * replicas, plugged into the ORMs' own replica features: Drizzle's `withReplicas` (selects on the
 * reader, writes on the pool) and a Kysely instance over the reader.
 */
describe('pool.reader() on PostgreSQL', () => {
  const started = endedAfterEach();
  const writes = pgTable('writes', { id: bigint('id', { mode: 'number' }).primaryKey() });

  async function setUp() {
    const cluster = started.cluster(await withWritesTable(startPgCluster(), true));
    const pool = createPgPool({ ...cluster.connectionOptions });
    started.ends(() => pool.end());
    await replicasMeasured(pool);
    return { cluster, pool, ...clusterPorts(cluster) };
  }

  it('is a pg.Pool whose statements read from the replicas, on the pool’s own connections', async () => {
    const { pool, primaryPort, replicaPorts } = await setUp();
    const reader = pool.reader();
    expect(reader).toBeInstanceOf(pg.Pool);
    expect(pool.reader()).toBe(reader);
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const { rows } = await reader.query<{ port: number }>('SELECT inet_server_port() AS port');
      ports.add(rows[0]?.port as number);
    }
    expect([...ports].sort()).toEqual([...replicaPorts].sort());
    // A reader's client has no session: it reads like the reader, and refuses a transaction.
    const client = await reader.connect();
    const { rows } = await client.query<{ port: number }>('SELECT inet_server_port() AS port');
    expect(replicaPorts).toContain(rows[0]?.port);
    await expect(client.query('BEGIN')).rejects.toMatchObject({ code: 'CONFIG', option: 'pool.reader()' });
    client.release();
    // The pool itself still writes to the primary; ending the reader ends nothing.
    await reader.end();
    expect((await pool.query('SELECT inet_server_port() AS port')).rows[0]?.port).toBe(primaryPort);
  });

  it("Drizzle's withReplicas: selects on the replicas, writes and transactions on the primary", async () => {
    const { cluster, pool, replicaPorts } = await setUp();
    const primary: NodePgDatabase = drizzle(pool);
    const replica: NodePgDatabase = drizzle(pool.reader());
    const db = withReplicas(primary, [replica]);
    await db.insert(writes).values({ id: 1 });
    await db.transaction(async (tx) => {
      await tx.insert(writes).values({ id: 2 });
    });
    await cluster.waitForReplication('node2', 15_000);
    await cluster.waitForReplication('node3', 15_000);
    const seen = await db
      .select({ id: writes.id, port: sql<number>`inet_server_port()` })
      .from(writes)
      .orderBy(writes.id);
    expect(seen.map((r) => r.id)).toEqual([1, 2]);
    expect(replicaPorts).toContain(seen[0]?.port);
  });

  it('Kysely over the reader reads from the replicas', async () => {
    const { pool, replicaPorts } = await setUp();
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: pool.reader() }) });
    started.ends(() => db.destroy());
    const { rows } = await ksql<{ port: number }>`SELECT inet_server_port() AS port`.execute(db);
    expect(replicaPorts).toContain(rows[0]?.port);
  });
});
