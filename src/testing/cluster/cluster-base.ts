import { lchown } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeOperations } from '../../core/node-operations';
import type { FaultProxy } from '../fault-proxy/fault-proxy';
import type { ClusterCleanup } from './cleanup';
import type { NodeProxies } from './node-proxies';
import { releasePorts } from './ports';
import {
  type AccountStatement,
  accountPassword,
  type PromotionAccount,
  replicasApplied,
} from './promotion-account';
import type { RunAs } from './run-as';
import type { ServerProcess, ServerProcessEnvironment } from './server-process';
import {
  type ClusterConnectionOptions,
  HOST,
  type NodeQueryOptions,
  type NodeSignal,
  type ReplicationMode,
  type StopMode,
  type TestCluster,
  type TestClusterNode,
} from './test-cluster';
import { waitUntil } from './wait-until';

/** What the shared start-up (cluster-setup.ts) hands every engine's cluster. */
export interface ClusterParts {
  readonly baseDir: string;
  /** The account the servers run as when the test process is root. */
  readonly runAs: RunAs | undefined;
  /** One per node, in node order: where the node takes client connections. */
  readonly ports: readonly number[];
  /** Per node, in node order, the further ports the engine asked for (Galera's group, IST and SST ports). */
  readonly extraPorts: readonly (readonly number[])[];
  readonly cleanup: ClusterCleanup;
  readonly proxies: NodeProxies | undefined;
  readonly replication: ReplicationMode;
}

/** A node as tests see it: a live view of its server, which stays the cluster's. */
export class ClusterNode<Server extends ServerProcess = ServerProcess> implements TestClusterNode {
  readonly host = HOST;
  constructor(protected readonly server: Server) {}
  get name(): string {
    return this.server.name;
  }
  get port(): number {
    return this.server.port;
  }
  get dataDir(): string {
    return this.server.dataDir;
  }
  get pid(): number | undefined {
    return this.server.pid;
  }
}

/** How an engine makes its servers and nodes; `index` counts from 0 ('node1' is 0). */
export interface ClusterMembers<Server extends ServerProcess, Node> {
  /** The environment of every server process (the harness's, minus the engine's client variables). */
  readonly env: NodeJS.ProcessEnv;
  /** The application account and database the engine's set-up creates. */
  readonly app: { user: string; password: string; database: string };
  createServer(
    spec: { name: string; port: number; dataDir: string; index: number },
    environment: ServerProcessEnvironment,
  ): Server;
  createNode(server: Server): Node;
}

/**
 * The half of a test cluster that does not depend on the engine: its servers by name, the node the
 * harness made primary, the proxies, signals, bounded waits, errors that name the node, and the
 * teardown. Each engine adds its set-up, its replication steps and its client sessions.
 */
export abstract class ClusterBase<Server extends ServerProcess, Node extends ClusterNode<Server>>
  implements TestCluster<Node>
{
  abstract readonly engine: string;
  abstract readonly description: string;
  readonly nodes: readonly Node[];
  readonly connectionOptions: ClusterConnectionOptions;
  readonly baseDir: string;
  readonly replication: ReplicationMode;
  startupMs = 0;

  protected readonly servers: ReadonlyMap<string, Server>;
  protected currentPrimary = 'node1';
  private destroying: Promise<void> | undefined;

  constructor(
    protected readonly parts: ClusterParts,
    members: ClusterMembers<Server, Node>,
  ) {
    this.baseDir = parts.baseDir;
    this.replication = parts.replication;
    const environment: ServerProcessEnvironment = {
      runAs: parts.runAs,
      env: members.env,
      onChange: () => this.recordState(),
      isDestroyed: () => this.destroying !== undefined,
    };
    this.servers = new Map(
      parts.ports.map((port, index) => {
        const name = `node${index + 1}`;
        const dataDir = join(parts.baseDir, name);
        return [name, members.createServer({ name, port, dataDir, index }, environment)];
      }),
    );
    this.nodes = [...this.servers.values()].map((server) => members.createNode(server));
    this.connectionOptions = {
      hosts: parts.proxies?.hosts ?? parts.ports.map((port) => `${HOST}:${port}`),
      ...members.app,
    };
  }

  get primary(): string {
    return this.currentPrimary;
  }

  /** Sets the cluster up (the engine's `initialise`) and records how long it took. */
  async setUp(): Promise<void> {
    const started = performance.now();
    if (this.parts.runAs) await lchown(this.baseDir, this.parts.runAs.uid, this.parts.runAs.gid);
    await this.initialise();
    this.startupMs = performance.now() - started;
  }

  /** Creates the data folders, starts every node and makes the replicas replicate from node1. */
  protected abstract initialise(): Promise<void>;
  /** Starts one stopped server in the role the harness gave its node. */
  protected abstract startServer(server: Server): Promise<void>;

  abstract promote(name: string): Promise<void>;
  abstract repoint(replica: string, primary: string): Promise<void>;
  abstract switchover(to: string): Promise<void>;
  abstract query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params?: unknown[],
    options?: NodeQueryOptions,
  ): Promise<R[]>;
  /**
   * One look at whether `replica` replicates from `from` (on `fromPort`) as it should: true, or
   * what it does instead (quoted if the wait times out).
   */
  protected abstract replicationState(
    replica: string,
    from: string,
    fromPort: number,
  ): Promise<true | string>;
  abstract mostAdvanced(candidates?: readonly string[]): Promise<string>;

  /** The engine's positions and waits, to know when the replicas have what the primary has. */
  protected abstract readonly operations: NodeOperations;
  /** The statements that create the least-privileged account of promotion on this engine. */
  protected abstract promotionAccountStatements(user: string, password: string): AccountStatement[];

  async createPromotionAccount(user = 'failover_admin'): Promise<PromotionAccount> {
    this.assertUsable();
    const password = accountPassword();
    const primary = this.currentPrimary;
    for (const { sql, inAppDatabase } of this.promotionAccountStatements(user, password)) {
      await this.query(primary, sql, [], inAppDatabase ? { database: this.connectionOptions.database } : {});
    }
    await this.replicasHaveAll(primary);
    const account = { user };
    Object.defineProperty(account, 'password', { value: password, enumerable: false });
    return account as PromotionAccount;
  }

  /** Resolves once every other node has applied what `primary` had committed when called. */
  protected replicasHaveAll(primary: string): Promise<void> {
    return replicasApplied(
      this.operations,
      (node, sql, values) => this.query(node, sql, values),
      primary,
      this.replicaNames(),
    );
  }

  /** Keeps the reaper's state file current: it kills by these pids when the test process dies. */
  private recordState(): void {
    this.parts.cleanup.update(
      [...this.servers.values()].map((server) => ({
        name: server.name,
        pid: server.pid,
        dataDir: server.dataDir,
      })),
    );
  }

  protected server(name: string): Server {
    const server = this.servers.get(name);
    if (!server) {
      throw new Error(`Unknown node "${name}"; this cluster has ${[...this.servers.keys()].join(', ')}.`);
    }
    return server;
  }

  protected assertUsable(): void {
    if (this.destroying) throw new Error('The cluster has been destroyed.');
  }

  /** Every node but the primary, in node order. */
  protected replicaNames(): string[] {
    return [...this.servers.keys()].filter((name) => name !== this.currentPrimary);
  }

  /** Nodes after `name` in node order, wrapping around: node2 of three gives node3, node1. */
  protected othersAfter(name: string): string[] {
    const names = [...this.servers.keys()];
    const at = names.indexOf(name);
    return [...names.slice(at + 1), ...names.slice(0, at)];
  }

  /** A bounded wait that a destroy() ends at once; see wait-until.ts. */
  protected waitUntil(what: string, timeoutMs: number, check: () => Promise<true | string>): Promise<void> {
    return waitUntil(what, timeoutMs, check, { abort: () => this.assertUsable() });
  }

  /**
   * Runs `work` against one node's port; a failure says which node it was, and keeps the driver's
   * `code` and the server's `errno`, which callers branch on.
   */
  protected async onNode<T>(name: string, work: (port: number) => Promise<T>): Promise<T> {
    const { port } = this.server(name);
    try {
      return await work(port);
    } catch (error) {
      const wrapped = new Error(`On ${name} (${HOST}:${port}): ${(error as Error).message}`, {
        cause: error,
      });
      const { code, errno } = error as { code?: unknown; errno?: unknown };
      if (code !== undefined) Object.assign(wrapped, { code });
      if (errno !== undefined) Object.assign(wrapped, { errno });
      throw wrapped;
    }
  }

  async waitForReplication(
    replica: string,
    timeoutMs = 30_000,
    from: string = this.currentPrimary,
  ): Promise<void> {
    const { port } = this.server(from);
    await this.waitUntil(`${replica} to replicate from ${from} (port ${port})`, timeoutMs, () =>
      this.replicationState(replica, from, port),
    );
  }

  node(name: string): Node {
    const server = this.server(name);
    const node = this.nodes.find((candidate) => candidate.name === server.name);
    if (!node) throw new Error(`Unknown node "${name}".`);
    return node;
  }

  proxy(name: string): FaultProxy {
    this.server(name);
    if (!this.parts.proxies) {
      throw new Error(`This ${this.engine} cluster has no proxies: start it with \`proxies: true\`.`);
    }
    return this.parts.proxies.get(name);
  }

  kill(name: string, signal: NodeSignal): void {
    this.server(name).kill(signal);
  }

  async stop(name: string, mode: StopMode = 'fast'): Promise<void> {
    this.assertUsable();
    await this.server(name).stop(mode);
  }

  async start(name: string): Promise<void> {
    this.assertUsable();
    await this.startServer(this.server(name));
  }

  destroy(): Promise<void> {
    this.destroying ??= Promise.all([this.parts.proxies?.close(), this.parts.cleanup.killAndRemove()])
      .then(() => undefined)
      .finally(() => releasePorts([...this.parts.ports, ...this.parts.extraPorts.flat()]));
    return this.destroying;
  }
}
