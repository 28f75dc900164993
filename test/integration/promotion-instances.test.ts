import { describe, expect, it } from 'vitest';
import type { PromotionOptions } from '../../src/core/promotion/options';
import type { TestCluster } from '../../src/testing';
import { type AppInstance, eventsOf, startAppInstances } from './support/app-instances';
import type { FixtureClusterOptions } from './support/engine-fixture';
import { address, type EngineFixture } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually, sleep } from './support/wait';

/**
 * Promotion by the library as it runs in production: app instances in separate processes, each
 * with its own pool, monitor and promoter, writing all along, and nobody else repairing the cluster
 * (docs/promotion.md). Each test is one rule of the issue that built it: one promotion after kill -9
 * (synchronous: nothing acknowledged lost, the new primary waits for a replica as the old one did;
 * asynchronous); a hung primary, with replica receive timeouts of a few seconds; none when one
 * instance alone loses the primary, nor for a stall of 300 ms; two failovers a cool-down apart; none
 * when the best replica lacks more of the old primary's writes than promotion.maxBehindMs allows.
 */

const INSTANCES = 3;

/** How a test wants the instances' pools. */
interface InstancesWanted {
  readonly promotion?: PromotionOptions;
  /** The hosts of one instance, by its number (default: the cluster's). */
  readonly hosts?: (number: number) => readonly string[];
  /** Every instance dies right after promoting, before repointing (app-instance-protocol.ts). */
  readonly dieAfterPromoting?: boolean;
}

/** Node name (node1...) of a pool's address for it. */
function nodeNamed(cluster: TestCluster, addressOf: unknown): string {
  const node = cluster.nodes.find((n) => address(cluster, n.name) === addressOf);
  if (!node) throw new Error(`${String(addressOf)} is none of the cluster's nodes`);
  return node.name;
}

/** Whether `node`, now primary, waits for a replica before acknowledging a commit. */
async function waitsForReplica(fixture: EngineFixture, cluster: TestCluster, node: string): Promise<boolean> {
  if (fixture.engine === 'postgresql') {
    const rows = await cluster.query<{ n: number }>(
      node,
      "SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')",
    );
    return (rows[0]?.n ?? 0) > 0;
  }
  const rows = await cluster.query<{ Value: string }>(node, "SHOW STATUS LIKE 'Rpl_semi_sync_master_status'");
  return rows[0]?.Value === 'ON';
}

describe.each(oneFixturePerEngine())(
  'promotion by app instances in separate processes on %s',
  (_name, fixture) => {
    const started = endedAfterEach();

    const start = (options: FixtureClusterOptions) =>
      fixture.start({ writesTable: true, ...options }).then((cluster) => started.cluster(cluster));

    async function instances(cluster: TestCluster, wanted: InstancesWanted = {}): Promise<AppInstance[]> {
      const { user, password } = await cluster.createPromotionAccount();
      return startAppInstances(
        INSTANCES,
        {
          engine: fixture.engine as 'postgresql' | 'mariadb',
          options: (number) => ({
            ...cluster.connectionOptions,
            ...(wanted.hosts && { hosts: wanted.hosts(number) }),
            promotion: { enabled: true, user, password, ...wanted.promotion },
          }),
          dieAfterPromoting: wanted.dieAfterPromoting,
        },
        (close) => started.ends(close),
      );
    }

    /** Stops every instance still running; the ids they had acknowledged. */
    async function stopAll(apps: readonly AppInstance[]) {
      const written = await Promise.all(apps.filter((app) => !app.exited).map((app) => app.stop()));
      return {
        acked: written.flatMap((w) => w.acked),
        errors: written.map((w) => w.errors),
      };
    }

    /** The `count`th promoted event (it follows the new primary's first use: repointing comes before it). */
    const promotedEvent = async (apps: readonly AppInstance[], count = 1) => {
      await eventually(`promotion ${count}`, () => eventsOf(apps, 'promoted').length >= count, 30_000);
      return eventsOf(apps, 'promoted')[count - 1] as Record<string, unknown>;
    };

    const newPrimaryEverywhere = (apps: readonly AppInstance[], old: string) =>
      eventually(
        'every instance to follow a new primary',
        () => apps.every((app) => app.primary !== null && app.primary !== old),
        30_000,
      );

    /**
     * Kills node1 under writing instances; resolves once they follow a new primary, with the one
     * `promoted` event (checked to be the only one), the winner, and the replica left.
     */
    async function killPrimary(replication: 'sync' | 'async') {
      const cluster = await start({ replication });
      const apps = await instances(cluster);
      await sleep(500);
      const node1 = address(cluster, 'node1');
      cluster.kill('node1', 'SIGKILL');
      await newPrimaryEverywhere(apps, node1);
      await promotedEvent(apps);
      await sleep(500);
      const promoted = eventsOf(apps, 'promoted');
      expect(promoted, JSON.stringify(eventsOf(apps, 'promotionSkipped'))).toHaveLength(1);
      const event = promoted[0]!;
      expect(event.from).toBe(node1);
      expect(event.notRepointed).toEqual([]);
      const winner = nodeNamed(cluster, event.node);
      const other = winner === 'node2' ? 'node3' : 'node2';
      await cluster.waitForReplication(other, 20_000, winner);
      return { cluster, apps, node1, event, winner };
    }

    it('kill -9, synchronous: one promotion, the other replica follows, nothing lost, the new primary waits for a replica, the old one is fenced', async () => {
      const { cluster, apps, node1, event, winner } = await killPrimary('sync');
      expect(event.synchronous).toBe('carried');
      expect(event.behindMs).toBe(0);
      await eventually('the new primary to wait for its replica', () =>
        waitsForReplica(fixture, cluster, winner),
      );

      // The old primary comes back writable: fenced, and no write reaches it.
      await cluster.start('node1');
      await eventually(
        'node1 to be fenced',
        () => eventsOf(apps, 'fenced').some((e) => e.node === node1),
        20_000,
      );
      const before = (await fixture.idsOn(cluster, 'node1')).length;
      await sleep(1_000);
      const { acked } = await stopAll(apps);
      expect((await fixture.idsOn(cluster, 'node1')).length).toBe(before);

      const onWinner = new Set(await fixture.idsOn(cluster, winner));
      const lost = acked.filter((id) => !onWinner.has(String(id)));
      console.log(
        `[${fixture.name}] kill -9, sync, ${INSTANCES} processes: ${JSON.stringify({ winner, tookMs: event.tookMs, acked: acked.length, lost: lost.length })}`,
      );
      expect(lost).toEqual([]);
      for (const app of apps) expect(app.primary).toBe(event.node);
    });

    it('kill -9, asynchronous: one promotion, and the other replica follows', async () => {
      const { cluster, apps, event, winner } = await killPrimary('async');
      expect(event.synchronous).toBe('asynchronous');
      const { acked } = await stopAll(apps);
      const onWinner = new Set(await fixture.idsOn(cluster, winner));
      // Asynchronous replication may lose the last writes: shown, not asserted.
      console.log(
        `[${fixture.name}] kill -9, async: ${JSON.stringify({ winner, behindMs: event.behindMs, acked: acked.length, lost: acked.filter((id) => !onWinner.has(String(id))).length })}`,
      );
    });

    it('a lasting hang of the primary: one promotion once the replicas time out (receive timeouts of a few seconds)', async () => {
      // docs/promotion.md recommends these: with the servers' defaults a hang is noticed after a minute.
      const timeouts: FixtureClusterOptions =
        fixture.engine === 'postgresql' ? { serverSettings: { wal_receiver_timeout: '4s' } } : {}; // The MariaDB harness sets slave_net_timeout = 4 s (heartbeats every 2 s).
      const cluster = await start({ replication: 'sync', ...timeouts });
      const apps = await instances(cluster);
      await sleep(500);
      const node1 = address(cluster, 'node1');
      cluster.kill('node1', 'SIGSTOP');
      try {
        await newPrimaryEverywhere(apps, node1);
        await promotedEvent(apps);
      } finally {
        cluster.kill('node1', 'SIGCONT');
      }
      expect(eventsOf(apps, 'promoted')).toHaveLength(1);
      const skipped = eventsOf(apps, 'promotionSkipped').map((e) => e.reason);
      // Until the replicas gave up on node1, every instance saw them still receiving.
      expect(skipped).toContain('replicas-still-receiving');
      // node1 resumes, writable on the old history: it is fenced.
      await eventually(
        'node1 to be fenced',
        () => eventsOf(apps, 'fenced').some((e) => e.node === node1),
        20_000,
      );
      await stopAll(apps);
    });

    it('a promoter killed between promoting and repointing: another instance points the other replica at the new primary', async () => {
      const cluster = await start({ replication: 'sync' });
      const apps = await instances(cluster, { dieAfterPromoting: true });
      await sleep(500);
      const node1 = address(cluster, 'node1');
      cluster.kill('node1', 'SIGKILL');
      await eventually('the promoter to die', () => apps.some((app) => app.exited), 30_000);
      const survivors = apps.filter((app) => !app.exited);
      expect(survivors).toHaveLength(INSTANCES - 1);
      await newPrimaryEverywhere(survivors, node1);
      const primary = survivors[0]!.primary as string;
      const winner = nodeNamed(cluster, primary);
      const other = winner === 'node2' ? 'node3' : 'node2';
      // A survivor finds the other replica receiving nothing (10 s) and points it at the new primary.
      await eventually(
        'the other replica repointed',
        () => eventsOf(survivors, 'repointed').some((e) => e.node === address(cluster, other)),
        40_000,
      );
      await cluster.waitForReplication(other, 20_000, winner);
      // Nobody promoted again: the promoter died before it could say so, the others followed.
      expect(eventsOf(survivors, 'promoted')).toEqual([]);
      // The new primary waited for a replica from its first commit (synchronous carried over): the
      // survivors' writes resume once the other replica confirms them.
      const { acked } = await stopAll(apps);
      expect(acked.length).toBeGreaterThan(0);
      await eventually('the other replica to apply every acknowledged write', async () => {
        const onOther = new Set(await fixture.idsOn(cluster, other));
        return acked.every((id) => onOther.has(String(id)));
      });
    });

    it('never promotes when one instance alone is cut off from the primary', async () => {
      const cluster = await start({ replication: 'sync', proxies: true });
      const direct = cluster.nodes.map((n) => address(cluster, n.name));
      // Instance 1 reaches the nodes through their fault proxies, the others directly.
      const apps = await instances(cluster, {
        hosts: (number) => (number === 1 ? cluster.connectionOptions.hosts : direct),
      });
      const partition = cluster.proxy('node1').blackhole();
      await eventually('instance 1 to lose node1', () => apps[0]!.primary === null, 20_000);
      await sleep(3_000); // six times promotion.detectAfterMs
      await partition.off();
      expect(eventsOf(apps, 'promoted')).toEqual([]);
      expect(apps[0]!.events.map((e) => e.payload.reason)).toContain('replicas-still-receiving');
      for (const app of apps.slice(1)) expect(app.primary).toBe(address(cluster, 'node1'));
      await eventually(
        'instance 1 back on node1',
        () => apps[0]!.primary === cluster.connectionOptions.hosts[0],
      );
      const { acked } = await stopAll(apps);
      expect(acked.length).toBeGreaterThan(0);
    });

    it('never promotes for a stall of 300 ms', async () => {
      const cluster = await start({ replication: 'sync' });
      const apps = await instances(cluster);
      await sleep(500);
      cluster.kill('node1', 'SIGSTOP');
      await sleep(300);
      cluster.kill('node1', 'SIGCONT');
      await sleep(3_000);
      expect(eventsOf(apps, 'promoted')).toEqual([]);
      expect(eventsOf(apps, 'promotionStarted')).toEqual([]);
      for (const app of apps) expect(app.primary).toBe(address(cluster, 'node1'));
      await stopAll(apps);
    });

    it('two failovers in a row: the second waits out the cool-down, then promotes', async () => {
      // Longer than the replicas take to stream from the first new primary (seconds, on a loaded machine).
      const COOLDOWN_MS = 20_000;
      // Five nodes: after two primaries are lost, three of five still make a majority.
      const cluster = await start({ replication: 'async', replicas: 4 });
      const apps = await instances(cluster, { promotion: { cooldownMs: COOLDOWN_MS } });
      await sleep(500);
      const node1 = address(cluster, 'node1');
      cluster.kill('node1', 'SIGKILL');
      const second = (await promotedEvent(apps, 1)).node as string;
      await newPrimaryEverywhere(apps, node1);
      // The second primary fails once the other replicas stream from it. Killed before they received
      // anything from it, a PostgreSQL 15 standby promoted later may PANIC at promotion ("invalid
      // magic number 0000" in the new timeline's first segment): docs/promotion.md, limits.
      const winner = nodeNamed(cluster, second);
      for (const other of ['node2', 'node3', 'node4', 'node5'].filter((n) => n !== winner)) {
        await cluster.waitForReplication(other, 20_000, winner);
      }
      cluster.kill(winner, 'SIGKILL');
      await promotedEvent(apps, 2);
      await newPrimaryEverywhere(apps, second);

      const promotions = apps
        .flatMap((app) => app.events)
        .filter((e) => e.name === 'promoted')
        .sort((a, b) => a.at - b.at);
      expect(promotions).toHaveLength(2);
      expect(eventsOf(apps, 'promotionSkipped').map((e) => e.reason)).toContain('cooling-down');
      // Without the cool-down the second would follow about a second after the kill. With it, each
      // instance waits from when it saw the first promotion, which may be up to the first promoter's
      // repointing (reported in its event) earlier than the event: hence the second of slack.
      expect(promotions[1]!.at - promotions[0]!.at).toBeGreaterThanOrEqual(COOLDOWN_MS - 1_000);
      await stopAll(apps);
    });

    it("never promotes a replica that lacks more of the lost primary's writes than promotion.maxBehindMs", async () => {
      const cluster = await start({ replication: 'async' });
      const apps = await instances(cluster, { promotion: { maxBehindMs: 500, promoteTimeoutMs: 1_000 } });
      // The replicas go on receiving but apply nothing: what they did not apply is what a promotion loses.
      const pause =
        fixture.engine === 'postgresql' ? 'SELECT pg_wal_replay_pause()' : 'STOP SLAVE SQL_THREAD';
      for (const replica of ['node2', 'node3']) await cluster.query(replica, pause);
      await sleep(2_000);
      const node1 = address(cluster, 'node1');
      cluster.kill('node1', 'SIGKILL');
      await eventually(
        'a skip for a candidate too far behind',
        () => eventsOf(apps, 'promotionSkipped').some((e) => e.reason === 'candidate-behind'),
        20_000,
      );
      await sleep(1_000);
      expect(eventsOf(apps, 'promoted')).toEqual([]);
      const skip = eventsOf(apps, 'promotionSkipped').find((e) => e.reason === 'candidate-behind')!;
      expect((skip.error as { message: string }).message).toMatch(/promotion\.maxBehindMs is 500/);
      // The old primary back: the pools follow it again, nothing was promoted over it.
      await cluster.start('node1');
      await eventually('node1 the primary again', () => apps.every((app) => app.primary === node1), 20_000);
      await stopAll(apps);
    });
  },
);
