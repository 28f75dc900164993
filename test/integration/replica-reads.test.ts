import { describe, expect, it } from 'vitest';
import type { TestCluster } from '../../src/testing';
import { address, type EngineFixture } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

/**
 * Reads from replicas (docs/reads.md) on a real 3-node cluster: spread over the replicas, kept to a
 * staleness bound, read-your-writes through causal tokens (also between two pools), and a replica
 * killed under reads. Lag is made visible on purpose: PostgreSQL standbys replay 300 ms late
 * (`recovery_min_apply_delay`), MariaDB replicas apply 1 s late (`MASTER_DELAY`, whole seconds).
 */
describe.each(oneFixturePerEngine())('replica reads on %s', (_name, fixture) => {
  const started = endedAfterEach();
  const portSql =
    fixture.engine === 'postgresql' ? 'SELECT inet_server_port() AS port' : 'SELECT @@port AS port';
  const replicas = ['node2', 'node3'];

  /** The port of the server that answered `rows` (each read asks for it). */
  const portOf = (rows: Record<string, unknown>[]) => Number(rows[0]?.port);
  const portsOf = (cluster: TestCluster, nodes: string[]) =>
    nodes.map((node) => Number(address(cluster, node).split(':')[1]));

  /**
   * Delays every replica's apply: what a replica far away, or busy, looks like. MariaDB's delay is
   * in whole seconds, and so is its lag: with 1 s, `Seconds_Behind_Master` reads 0 now and then
   * (whole seconds, counted from the event being waited on), so a bound test takes 2 s there.
   */
  async function delayReplicas(cluster: TestCluster, mariadbSeconds = 1): Promise<void> {
    for (const node of replicas) {
      if (fixture.engine === 'postgresql') {
        await cluster.query(node, "ALTER SYSTEM SET recovery_min_apply_delay = '300ms'");
        await cluster.query(node, 'SELECT pg_reload_conf()');
      } else {
        await cluster.query(node, 'STOP SLAVE');
        await cluster.query(node, `CHANGE MASTER TO MASTER_DELAY = ${mariadbSeconds}`);
        await cluster.query(node, 'START SLAVE');
      }
    }
  }

  /** Until both replicas report their staleness, and are fit for a read within `maxLagMs`. */
  async function replicasMeasured(pool: ReturnType<EngineFixture['pool']>, maxLagMs = 1_000) {
    await eventually(
      'both replicas measured within the bound',
      () =>
        pool
          .health()
          .nodes.filter((n) => n.role === 'replica' && n.lagMs !== undefined && n.lagMs <= maxLagMs)
          .length === 2,
      20_000,
    );
  }

  /** Writes a row every 20 ms until stopped: replicas with an apply delay then stay behind. */
  function keepWriting(pool: ReturnType<EngineFixture['pool']>, from: number) {
    let stop = false;
    let id = from;
    const running = (async () => {
      while (!stop) {
        await pool.query(fixture.sql('INSERT INTO writes (id) VALUES ($1)'), [id++]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return async () => {
      stop = true;
      await running;
    };
  }

  it('spreads reads over both replicas and none to the primary', async () => {
    const cluster = started.cluster(await fixture.start());
    const pool = started.pool(fixture.pool(cluster));
    await replicasMeasured(pool);
    const ports = new Map<number, number>();
    for (let i = 0; i < 20; i++) {
      const port = portOf(await pool.read(portSql));
      ports.set(port, (ports.get(port) ?? 0) + 1);
    }
    const [node2, node3] = portsOf(cluster, replicas) as [number, number];
    // In turn: 10 each. A replica whose probe timed out on a busy machine is skipped meanwhile (the
    // primary reads then), so allow for a couple of those.
    const served = (port: number) => ports.get(port) ?? 0;
    expect(served(node2) + served(node3)).toBeGreaterThanOrEqual(18);
    expect(Math.abs(served(node2) - served(node3))).toBeLessThanOrEqual(2);
    // pool.metrics() counts the same reads where they ran.
    const { replicaReads } = pool.metrics();
    expect(replicaReads.replica).toBe(served(node2) + served(node3));
    const onPrimary = Object.values(replicaReads.primary).reduce((sum, n) => sum + n, 0);
    expect(onPrimary).toBe(20 - replicaReads.replica);
    // A statement without the flag still goes to the primary.
    expect(portOf(await pool.query(portSql))).toBe(portsOf(cluster, ['node1'])[0]);
  });

  it('reads after a causal token see the write, across two pools, mostly from replicas', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const reads = { maxLagMs: 10_000, causalWaitMs: 5_000 };
    const writer = started.pool(fixture.pool(cluster, { reads }));
    const reader = started.pool(fixture.pool(cluster, { reads }));
    await replicasMeasured(reader);
    await delayReplicas(cluster);
    const replicaPorts = portsOf(cluster, replicas);
    const countSql = fixture.sql(`SELECT (${portSql}) AS port, count(*) AS n FROM writes WHERE id = $1`);
    let stale = 0;
    let onReplicas = 0;
    const rounds = 12;
    for (let id = 1; id <= rounds; id++) {
      await writer.query(fixture.sql('INSERT INTO writes (id) VALUES ($1)'), [id]);
      // Without a token, a replica that applies late does not have the row yet: the delay is real.
      const blind = await writer.read(countSql, [id]);
      if (Number(blind[0]?.n) === 0) stale++;
      const token = await writer.causalToken();
      const rows = await reader.read(countSql, [id], { after: token });
      expect(Number(rows[0]?.n), `row ${id} read after its token`).toBe(1);
      if (replicaPorts.includes(portOf(rows))) onReplicas++;
    }
    expect(stale).toBeGreaterThan(rounds / 2);
    expect(onReplicas).toBeGreaterThanOrEqual(rounds - 2);
  });

  it('a bound tighter than the replicas keep sends reads to the primary, or fails with NO_REPLICA', async () => {
    const cluster = started.cluster(await fixture.start({ writesTable: true }));
    const writer = started.pool(fixture.pool(cluster));
    await replicasMeasured(writer);
    await delayReplicas(cluster, 2);
    const stop = keepWriting(writer, 1);
    try {
      const bound = fixture.engine === 'postgresql' ? 100 : 500;
      const tight = started.pool(fixture.pool(cluster, { reads: { maxLagMs: bound } }));
      const strict = started.pool(fixture.pool(cluster, { reads: { maxLagMs: bound, fallback: 'error' } }));
      // Both replicas report a staleness beyond the bound (300 ms; 1 s or more).
      await eventually(
        'the replicas measured behind the bound',
        () => tight.health().nodes.filter((n) => n.role === 'replica' && (n.lagMs ?? 0) > bound).length === 2,
        20_000,
      );
      const primaryPort = portsOf(cluster, ['node1'])[0];
      for (let i = 0; i < 5; i++) expect(portOf(await tight.read(portSql))).toBe(primaryPort);
      expect(tight.metrics().replicaReads).toEqual({
        replica: 0,
        primary: { 'no-replica': 5, 'replicas-failed': 0, 'causal-wait': 0 },
      });
      await expect(strict.read(portSql)).rejects.toMatchObject({ code: 'NO_REPLICA' });
      // A read that failed is not counted as served.
      expect(strict.metrics().replicaReads.primary['no-replica']).toBe(0);
    } finally {
      await stop();
    }
  });

  it('a replica killed under reads costs no error; reads go on on the other', async () => {
    const cluster = started.cluster(await fixture.start());
    const pool = started.pool(fixture.pool(cluster));
    await replicasMeasured(pool);
    const [, node3Port] = portsOf(cluster, replicas);
    const errors: unknown[] = [];
    const served = new Map<number, number>();
    let stop = false;
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const port = portOf(await pool.read(portSql));
          served.set(port, (served.get(port) ?? 0) + 1);
        } catch (error) {
          errors.push(error);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    cluster.kill('node3', 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = served.get(node3Port as number) ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    stop = true;
    await Promise.all(readers);
    expect(errors).toEqual([]);
    expect(before).toBeGreaterThan(0);
    // Nothing more from the dead node once it was dead.
    expect(served.get(node3Port as number) ?? 0).toBe(before);
    expect(served.get(portsOf(cluster, ['node2'])[0] as number)).toBeGreaterThan(10);
  });

  it('a replica frozen under reads (SIGSTOP) costs no error; its reads run again elsewhere within the probe timeout', async () => {
    const cluster = started.cluster(await fixture.start());
    const pool = started.pool(fixture.pool(cluster));
    await replicasMeasured(pool);
    const errors: unknown[] = [];
    const tookMs: number[] = [];
    let stop = false;
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const started = performance.now();
        try {
          await pool.read(portSql);
          tookMs.push(performance.now() - started);
        } catch (error) {
          errors.push(error);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    cluster.kill('node3', 'SIGSTOP');
    try {
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      stop = true;
      await Promise.all(readers);
    } finally {
      cluster.kill('node3', 'SIGCONT');
    }
    expect(errors).toEqual([]);
    // The reads caught on the frozen node waited for the monitor to give it up (its probe timeout,
    // 1 s here, plus a probe interval), not for failover.abandonAfterMs (30 s) or TCP.
    console.info(
      `[replica-reads] frozen replica: longest read ${Math.round(Math.max(...tookMs))} ms of ${tookMs.length}`,
    );
    expect(Math.max(...tookMs)).toBeLessThan(10_000);
  });

  it('refuses a string that is not a token, naming the option, and reads after a real one', async () => {
    const cluster = started.cluster(await fixture.start());
    const pool = started.pool(fixture.pool(cluster));
    await expect(pool.read(portSql, [], { after: 'not-a-token' })).rejects.toMatchObject({
      code: 'CONFIG',
      option: 'query.after',
    });
    const token = await pool.causalToken();
    expect(token).toMatch(/^fp1\.[A-Za-z0-9_-]+$/);
    expect(portOf(await pool.read(portSql, [], { after: token }))).toBeGreaterThan(0);
  });
});
