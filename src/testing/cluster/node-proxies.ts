/**
 * A fault proxy in front of each node of a test cluster, for the app's connections only: the
 * nodes keep replicating to each other directly, so a fault on a proxy is a fault between the app
 * and that node (a partition from the app alone leaves replication and the primary's role intact).
 * Engine-neutral: the PostgreSQL and MariaDB clusters both use it.
 */

import type { FaultProxy } from '../fault-proxy/fault-proxy';
import { createFaultProxy } from '../fault-proxy/proxy';
import type { ProxyProtocol } from '../fault-proxy/types';

export interface ProxiedNode {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export class NodeProxies {
  private constructor(private readonly byName: ReadonlyMap<string, FaultProxy>) {}

  /** One proxy per node, in node order; if one fails to start, those already started are closed. */
  static async start(nodes: readonly ProxiedNode[], protocol: ProxyProtocol): Promise<NodeProxies> {
    const started = new Map<string, FaultProxy>();
    try {
      for (const node of nodes) {
        started.set(
          node.name,
          await createFaultProxy({ target: { host: node.host, port: node.port }, protocol }),
        );
      }
    } catch (error) {
      await Promise.allSettled([...started.values()].map((proxy) => proxy.close()));
      throw error;
    }
    return new NodeProxies(started);
  }

  /** `host:port` of every proxy, in node order: what the app is given instead of the nodes. */
  get hosts(): string[] {
    return [...this.byName.values()].map((proxy) => `${proxy.host}:${proxy.port}`);
  }

  get(name: string): FaultProxy {
    const proxy = this.byName.get(name);
    if (!proxy)
      throw new Error(`No proxy for node "${name}"; proxied nodes: ${[...this.byName.keys()].join(', ')}.`);
    return proxy;
  }

  /** Closes every proxy and every connection through them; idempotent (each proxy's close is). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.byName.values()].map((proxy) => proxy.close()));
  }
}
