import { ConnectionState } from '../../../src/core/connection-state';
import type { Dialect, Row } from '../../../src/core/dialect';
import type { Driver, StatementResult } from '../../../src/core/driver';
import { PoolEndedError } from '../../../src/core/errors';
import type { NodeAddress, NodeProbe } from '../../../src/core/node';
import type { NodePool } from '../../../src/core/node-pool';
import type { ProbeSession } from '../../../src/core/probe-session';
import type { FailureKind } from '../../../src/core/retry';
import type { Done } from '../../../src/core/work';
import { postgresDialect } from '../../../src/dialects/postgres/dialect';

/** How a fake node behaves right now. */
export interface FakeNodeState {
  /** 'refusing': answers, but rejects our login (a wrong password): waiting will not help. */
  state: 'up' | 'down' | 'hung' | 'refusing';
  role: 'primary' | 'replica';
  writable: boolean;
  generation: number;
  identity: string;
  /** How many of the next probe connections fail as refused although the node is up (a flaky network). */
  flakyProbes: number;
  /** The sessions (connection ids) the server says are running a statement. */
  running: Set<number>;
}

/** An error a fake connection raises; `kind` is how the fake adapter classifies it. */
export class FakeError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string = kind,
  ) {
    super(message);
  }
}

export interface FakeConnection {
  readonly node: string;
  readonly id: number;
  destroyed: boolean;
  readonly state: ConnectionState;
  /** Fails the statement waiting on this connection (a hung node's), as a driver does when its socket is closed. */
  cut?: () => void;
}

/** Closes `connection` as a driver closes its socket: a statement still waiting on it fails. */
function closeConnection(connection: FakeConnection): void {
  connection.destroyed = true;
  connection.cut?.();
}

/** Fake nodes answer a probe with one row that holds the probe itself. */
const fakeDialect: Dialect = {
  ...postgresDialect,
  createProber: () => async (run) => (await run('probe'))[0]?.probe as NodeProbe,
  classifyError: (error) => (error instanceof FakeError ? error.kind : 'application'),
  runningSessionsSql: (ids) => `running ${ids.join(',')}`,
};

/**
 * A cluster that exists only in memory, for unit tests of the core: nodes answer probes by their
 * current state, connections fail the way a real node in that state would make them fail.
 */
export class FakeCluster implements Driver<FakeConnection> {
  readonly dialect = fakeDialect;
  readonly nodes = new Map<string, FakeNodeState>();
  readonly addresses: NodeAddress[] = [];
  readonly probes: string[] = [];
  readonly pools = new Map<string, FakeNodePool>();
  private nextId = 1;

  constructor(spec: Record<string, Partial<FakeNodeState>>) {
    for (const [name, partial] of Object.entries(spec)) {
      const [host, port] = name.split(':') as [string, string];
      this.addresses.push({ name, host, port: Number(port) });
      this.nodes.set(name, {
        state: 'up',
        role: 'replica',
        writable: false,
        generation: 1,
        identity: 'cluster-a',
        flakyProbes: 0,
        running: new Set(),
        ...partial,
      });
    }
  }

  node(name: string): FakeNodeState {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no fake node ${name}`);
    return node;
  }

  /** Makes `name` the primary of a new generation, as a promotion would. */
  promote(name: string): void {
    const node = this.node(name);
    node.role = 'primary';
    node.writable = true;
    node.generation = Math.max(...[...this.nodes.values()].map((n) => n.generation)) + 1;
  }

  /**
   * The monitor's connection to a node: refused, rejected (a wrong password) or hanging as the node
   * is when it opens; every probe on it answers as the node is now. Each probe is counted.
   */
  openProbeSession(address: NodeAddress): ProbeSession {
    const node = this.node(address.name);
    const flaky = node.state === 'up' && node.flakyProbes > 0;
    if (flaky) node.flakyProbes--;
    if (node.state !== 'up' || flaky) this.probes.push(address.name);
    const failed = (state: FakeNodeState['state']): Promise<never> | undefined => {
      if (state === 'down') return Promise.reject(new FakeError('connect-failed', 'ECONNREFUSED'));
      if (state === 'refusing') {
        return Promise.reject(new FakeError('application', 'password authentication failed'));
      }
      if (state === 'hung') return new Promise<never>(() => undefined);
      return undefined;
    };
    return {
      ready: (flaky ? failed('down') : failed(node.state)) ?? Promise.resolve(),
      run: (sql: string): Promise<readonly Row[]> => {
        const now = this.node(address.name);
        if (sql.startsWith('running ') && now.state === 'up') {
          const asked = sql.slice('running '.length).split(',').map(Number);
          return Promise.resolve(asked.filter((id) => now.running.has(id)).map((id) => ({ id })));
        }
        this.probes.push(address.name);
        if (now.state === 'down') return Promise.reject(new FakeError('connection-lost'));
        return failed(now.state) ?? Promise.resolve([{ probe: this.probeOf(now) }]);
      },
      onFailure: () => undefined,
      destroy: () => undefined,
      end: () => Promise.resolve(),
    };
  }

  private probeOf(node: FakeNodeState): NodeProbe {
    return {
      role: node.role,
      writable: node.writable,
      generation: node.role === 'primary' ? node.generation : undefined,
      identity: node.identity,
    } as NodeProbe;
  }

  createNodePool(address: NodeAddress): FakeNodePool {
    const pool = new FakeNodePool(address.name, this, () => this.nextId++);
    this.pools.set(address.name, pool);
    return pool;
  }

  stateOf(connection: FakeConnection): ConnectionState {
    return connection.state;
  }

  /** A new connection knows at once whether its node takes writes (as PostgreSQL 14+ reports it). */
  reportedWritable(connection: FakeConnection): boolean {
    return this.node(connection.node).writable;
  }

  sessionIdOf(connection: FakeConnection): number {
    return connection.id;
  }

  destroy(connection: FakeConnection): void {
    closeConnection(connection);
  }

  /** As the drivers do: its socket is open and nothing said the session ended. */
  isAlive(connection: FakeConnection): boolean {
    return !connection.destroyed && connection.state.alive;
  }

  endedError(): Error {
    return new PoolEndedError();
  }

  execute(): Promise<StatementResult> {
    return Promise.resolve({ rows: [] });
  }

  /**
   * Runs a statement on `connection` as its node would now, marking it pending meanwhile as the
   * drivers do. On a hung node it waits until its connection is closed (its answer is lost, even
   * once the node answers again).
   */
  statement(connection: FakeConnection, kind: 'write' | 'read' = 'write'): Promise<string> {
    const { state } = connection;
    state.beginStatement(undefined, false);
    state.sent = true;
    state.pending = true;
    const answered = this.answer(connection, kind);
    answered.then(
      () => (state.pending = false),
      () => (state.pending = false),
    );
    return answered;
  }

  private answer(connection: FakeConnection, kind: 'write' | 'read'): Promise<string> {
    const node = this.node(connection.node);
    if (connection.destroyed) return Promise.reject(new FakeError('not-sent'));
    if (node.state === 'down') return Promise.reject(new FakeError('connection-lost'));
    if (node.state === 'hung') {
      return new Promise((_, reject) => {
        connection.cut = () => reject(new FakeError('connection-lost', 'Connection terminated'));
      });
    }
    if (kind === 'write' && !node.writable) return Promise.reject(new FakeError('read-only'));
    return Promise.resolve(connection.node);
  }
}

export class FakeNodePool implements NodePool<FakeConnection> {
  /** Connects tried, failed ones included. */
  attempts = 0;
  acquired = 0;
  released = 0;
  destroyed = 0;
  retired = 0;
  ended = false;
  readonly open = new Set<FakeConnection>();

  constructor(
    private readonly name: string,
    private readonly cluster: FakeCluster,
    private readonly id: () => number,
  ) {}

  /** While set, acquires wait for it (a connect under way to a node that hangs). */
  gate: Promise<void> | undefined;
  /** The next connect fails with this, the node itself fine (the app's connect hook threw). */
  failNext: Error | undefined;

  acquire(done: Done<FakeConnection>): void {
    this.connect(this.gate).then(
      (connection) => done(undefined, connection),
      (error: unknown) => done(error),
    );
  }

  private async connect(gate: Promise<void> | undefined): Promise<FakeConnection> {
    if (gate) await gate;
    this.attempts++;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    const node = this.cluster.node(this.name);
    if (node.state === 'down') throw new FakeError('connect-failed', 'ECONNREFUSED');
    if (node.state === 'refusing') throw new FakeError('application', 'password authentication failed');
    this.acquired++;
    const connection = { node: this.name, id: this.id(), destroyed: false, state: new ConnectionState() };
    this.open.add(connection);
    return connection;
  }

  release(connection: FakeConnection, destroy: boolean): void {
    this.released++;
    if (destroy) {
      this.destroyed++;
      closeConnection(connection);
      this.open.delete(connection);
    }
  }

  failQueued(): void {
    // Acquires here wait only on `gate`, which the tests open themselves.
  }

  connections(): Iterable<FakeConnection> {
    return this.open;
  }

  usage(): { open: number; used: number } {
    return { open: this.open.size, used: 0 };
  }

  retire(): void {
    this.retired++;
    for (const connection of this.open) closeConnection(connection);
    this.open.clear();
  }

  end(): Promise<void> {
    this.ended = true;
    return Promise.resolve();
  }
}
