import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EngineFixture } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

/*
 * A test cluster started with `proxies: true`, as the chaos suite uses it: the app reaches every
 * node through its own fault proxy, while the replicas keep replicating from the primary directly.
 * A fault on a proxy must cut the app alone.
 */

function refused(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

describe.each(oneFixturePerEngine())(
  'the test cluster of %s with proxies',
  (_name, fixture: EngineFixture) => {
    const resources = endedAfterEach();

    it('lists one proxy per node in connectionOptions.hosts, each forwarding to its node', async () => {
      const started = resources.cluster(await fixture.start({ proxies: true }));
      const { hosts } = started.connectionOptions;
      for (const [index, node] of started.nodes.entries()) {
        const proxy = started.proxy(node.name);
        expect(hosts[index]).toBe(`${proxy.host}:${proxy.port}`);
        expect(proxy.target).toEqual({ host: '127.0.0.1', port: node.port });
        expect(proxy.port).not.toBe(node.port);
        expect(proxy.protocol).toBe(fixture.protocol);
        // Each proxy really reaches its own node: the server reports the port it listens on.
        expect(await fixture.portBehind(started, hosts[index]!)).toBe(node.port);
      }
      expect(started.proxy('node1').stats().accepted).toBeGreaterThan(0);
      expect(() => started.proxy('node9')).toThrow(/node9/);
    });

    it('carries the pool; a partition of the primary from the app leaves replication running', async () => {
      const started = resources.cluster(await fixture.start({ proxies: true, writesTable: true }));
      const pool = resources.pool(fixture.pool(started, { statementTimeoutMs: 20_000 }));
      await pool.query('INSERT INTO writes VALUES (1)');
      const [primaryProxy] = started.connectionOptions.hosts;
      expect(pool.topology().primary).toBe(primaryProxy);

      const partition = started.proxy('node1').blackhole();
      // The app cannot get through any more...
      await expect(fixture.portBehind(started, primaryProxy!, 1_000)).rejects.toThrow();
      // ...while the replicas still replicate from the real primary, and receive what it writes.
      await started.query('node1', 'INSERT INTO writes VALUES (2)', [], { as: 'app' });
      for (const replica of ['node2', 'node3']) {
        await started.waitForReplication(replica, 30_000, 'node1');
        await eventually(`${replica} to apply the write`, async () =>
          (await fixture.idsOn(started, replica)).includes('2'),
        );
      }
      await partition.off();
    });

    it('destroy() closes every proxy and its connections, also after a fault', async () => {
      const started = resources.cluster(await fixture.start({ proxies: true }));
      const proxies = started.nodes.map((node) => started.proxy(node.name));
      const socket = net.connect({ host: proxies[1]!.host, port: proxies[1]!.port });
      socket.on('error', () => undefined);
      await eventually('the proxy to connect through to node2', () => proxies[1]!.stats().open === 1);
      started.proxy('node1').latency(50);
      await started.destroy();
      for (const proxy of proxies) {
        expect(proxy.stats().open).toBe(0);
        expect(await refused(proxy.port)).toBe('ECONNREFUSED');
      }
      socket.destroy();
    });

    it('has no proxies unless asked', async () => {
      const started = resources.cluster(await fixture.start({ replicas: 0 }));
      expect(started.connectionOptions.hosts).toEqual([`127.0.0.1:${started.node('node1').port}`]);
      expect(() => started.proxy('node1')).toThrow(/proxies: true/);
    });
  },
);
