/**
 * `createFaultProxy`: a TCP proxy in front of one database node, with faults switchable at
 * run time. The listener and the fault API live here; each accepted connection is a
 * `ProxiedConnection`.
 */
import net, { type Server, type Socket } from 'node:net';
import { ProxiedConnection } from './connection';
import type { FaultProxy, FaultProxyOptions } from './fault-proxy';
import { type Fault, FaultSet, type ResetFault } from './faults';
import { type ProtocolInspector, RawInspector } from './inspector';
import { MysqlInspector } from './mysql-protocol';
import { PostgresInspector } from './postgres-protocol';
import { resetSocket } from './sockets';
import type {
  CloseOptions,
  ConnectionInfo,
  CutHandle,
  CutOnOptions,
  DirectionOptions,
  FaultDirection,
  FaultHandle,
  FaultScope,
  ProxyProtocol,
  ProxyStats,
  ResetHandle,
  ScopeOptions,
} from './types';

const DEFAULT_REPLY_WAIT_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Start a fault proxy in front of `options.target`; resolves once it is listening. */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new FaultProxyServer(options);
  await proxy.start();
  return proxy;
}

class FaultProxyServer implements FaultProxy {
  readonly target: { host: string; port: number };
  readonly protocol: ProxyProtocol;
  private listenHost: string;
  private listenPort: number;
  private server: Server | undefined;
  private readonly faults = new FaultSet();
  private readonly open = new Map<number, ProxiedConnection>();
  /** Sockets reset at accept (reset fault on new connections), until they are closed. */
  private readonly strays = new Set<Socket>();
  private lastId = 0;
  /** Active `refuse()` faults: the proxy listens only while there are none. */
  private readonly refusals = new Set<{ active: boolean }>();
  /** Listener changes run one after another, so that refuse/off/clear/close cannot interleave. */
  private listenerChange: Promise<void> = Promise.resolve();
  /** Promises of listeners being closed (they settle once their accepted sockets are gone). */
  private readonly listenersClosing: Promise<void>[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counters: ProxyStats = {
    accepted: 0,
    open: 0,
    bytesFromClient: 0,
    bytesToServer: 0,
    bytesFromServer: 0,
    bytesToClient: 0,
    cuts: 0,
    resets: 0,
    closedAfterBytes: 0,
  };

  constructor(private readonly options: FaultProxyOptions) {
    const port = options?.target?.port;
    if (!options?.target?.host || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TypeError('createFaultProxy: target { host, port } is required (port 1-65535)');
    }
    this.target = { host: options.target.host, port: options.target.port };
    this.protocol = options.protocol ?? 'raw';
    if (!['postgres', 'mysql', 'raw'].includes(this.protocol)) {
      throw new TypeError(
        `createFaultProxy: protocol must be 'postgres', 'mysql' or 'raw', got ${this.protocol}`,
      );
    }
    this.listenHost = options.listen?.host ?? '127.0.0.1';
    this.listenPort = options.listen?.port ?? 0;
  }

  get host(): string {
    return this.listenHost;
  }

  get port(): number {
    return this.listenPort;
  }

  async start(): Promise<void> {
    await this.syncListener();
  }

  // ---- faults ------------------------------------------------------------------------------

  latency(ms: number, jitterMs = 0, opts: DirectionOptions = {}): FaultHandle {
    nonNegative('latency ms', ms);
    nonNegative('latency jitterMs', jitterMs);
    return this.add({ kind: 'latency', ms, jitterMs, direction: direction(opts), ...this.scoped(opts) });
  }

  bandwidth(bytesPerSec: number, opts: DirectionOptions = {}): FaultHandle {
    if (!(bytesPerSec > 0) || !Number.isFinite(bytesPerSec)) {
      throw new RangeError(`bandwidth: bytesPerSec must be a positive number, got ${bytesPerSec}`);
    }
    return this.add({ kind: 'bandwidth', bytesPerSec, direction: direction(opts), ...this.scoped(opts) });
  }

  blackhole(opts: DirectionOptions = {}): FaultHandle {
    return this.add({ kind: 'blackhole', direction: direction(opts), ...this.scoped(opts) });
  }

  sliceWrites(opts: DirectionOptions & { gapMs?: number } = {}): FaultHandle {
    const gapMs = opts.gapMs ?? 1;
    nonNegative('sliceWrites gapMs', gapMs);
    return this.add({ kind: 'sliceWrites', gapMs, direction: direction(opts), ...this.scoped(opts) });
  }

  closeAfter(bytes: number, opts: CloseOptions = {}): FaultHandle {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new RangeError(`closeAfter: bytes must be a non-negative integer, got ${bytes}`);
    }
    return this.add({
      kind: 'closeAfter',
      bytes,
      how: opts.how ?? 'close',
      direction: direction(opts),
      ...this.scoped(opts),
    });
  }

  cutOn(pattern: RegExp | string, opts: CutOnOptions): CutHandle {
    if (this.protocol === 'raw') {
      throw new Error(
        "cutOn needs a protocol to find statements: createFaultProxy({ protocol: 'postgres' | 'mysql' })",
      );
    }
    if (opts?.when !== 'before' && opts?.when !== 'after') {
      throw new TypeError("cutOn: opts.when must be 'before' or 'after'");
    }
    const times = opts.times ?? Number.POSITIVE_INFINITY;
    if (!(times >= 0)) throw new RangeError(`cutOn: times must be >= 0, got ${times}`);
    const matches = toMatcher(pattern);
    const fault: Fault = {
      kind: 'cutOn',
      matches,
      when: opts.when,
      times,
      cuts: 0,
      replyWaitMs: opts.replyWaitMs ?? DEFAULT_REPLY_WAIT_MS,
      how: opts.how ?? 'close',
      ...this.scoped(opts),
    };
    const handle = this.add(fault);
    return Object.defineProperty(handle, 'cuts', { get: () => fault.cuts, enumerable: true }) as CutHandle;
  }

  reset(opts: ScopeOptions = {}): ResetHandle {
    const scope = opts.scope ?? 'existing';
    const fault: ResetFault = { kind: 'reset', resets: 0, scope, mark: this.lastId, active: true };
    if (scope !== 'new') {
      for (const connection of [...this.open.values()]) {
        if (connection.id <= fault.mark) this.resetConnection(connection, fault);
      }
    }
    if (scope === 'existing')
      fault.active = false; // one-shot
    else this.faults.add(fault);
    const handle = this.handle(fault);
    return Object.defineProperty(handle, 'resets', {
      get: () => fault.resets,
      enumerable: true,
    }) as ResetHandle;
  }

  async refuse(): Promise<FaultHandle> {
    this.assertOpen();
    const token = { active: true };
    this.refusals.add(token);
    await this.syncListener();
    return {
      kind: 'refuse',
      get active() {
        return token.active;
      },
      off: async () => {
        if (!token.active) return;
        token.active = false;
        this.refusals.delete(token);
        await this.syncListener();
      },
    };
  }

  async clear(): Promise<void> {
    this.faults.removeAll();
    this.refreshAll();
    for (const token of this.refusals) token.active = false;
    this.refusals.clear();
    await this.syncListener();
  }

  // ---- observation -------------------------------------------------------------------------

  stats(): ProxyStats {
    return { ...this.counters, open: this.open.size };
  }

  connections(): ConnectionInfo[] {
    return [...this.open.values()].map((c) => c.info());
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.faults.removeAll();
    for (const token of this.refusals) token.active = false;
    this.refusals.clear();
    await this.syncListener();
    const connections = [...this.open.values()];
    for (const connection of connections) connection.terminate('destroy');
    const strays = [...this.strays].map(
      (socket) =>
        new Promise<void>((resolve) =>
          socket.destroyed && socket.closed ? resolve() : socket.once('close', () => resolve()),
        ),
    );
    for (const socket of this.strays) socket.destroy();
    await Promise.all([...this.listenersClosing, ...connections.map((c) => c.done), ...strays]);
    // A server's close callback runs before libuv has released its handle (checked: the
    // handle is still listed by process.getActiveResourcesInfo()). libuv runs close callbacks
    // after the check phase, so two setImmediate turns are enough for it to be gone.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Make the listener match the state: listening unless closed or refusing. */
  private syncListener(): Promise<void> {
    const change = this.listenerChange.then(async () => {
      const wanted = !this.closed && this.refusals.size === 0;
      if (wanted && !this.server) await this.listen();
      else if (!wanted && this.server) this.stopListening();
    });
    this.listenerChange = change.catch(() => {});
    return change;
  }

  private listen(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true });
    server.on('error', () => {}); // listen errors are reported through the promise below
    server.on('connection', (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen({ host: this.listenHost, port: this.listenPort }, () => {
        server.off('error', onError);
        const address = server.address();
        if (address && typeof address === 'object') this.listenPort = address.port;
        this.server = server;
        resolve();
      });
    });
  }

  /** Close the listening socket now (new connections are refused from here on). */
  private stopListening(): void {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // Closing the listening handle frees the port at once; the callback waits for the
    // accepted sockets, which are tracked (and closed) separately.
    this.listenersClosing.push(new Promise((resolve) => server.close(() => resolve())));
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {});
    if (this.closed) {
      socket.destroy();
      return;
    }
    const id = ++this.lastId;
    this.counters.accepted++;
    const reset = this.faults.resetForNew(id);
    if (reset) {
      reset.resets++;
      this.counters.resets++;
      this.strays.add(socket);
      socket.once('close', () => this.strays.delete(socket));
      resetSocket(socket);
      return;
    }
    let connection: ProxiedConnection;
    try {
      connection = new ProxiedConnection(id, socket, {
        faults: this.faults,
        target: this.target,
        connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        stats: this.counters,
        createInspector: () => this.inspector(),
        finished: (c) => this.open.delete(c.id),
      });
    } catch {
      // Never crash the process from the accept path.
      this.strays.add(socket);
      socket.once('close', () => this.strays.delete(socket));
      socket.destroy();
      return;
    }
    if (!connection.isFinished) this.open.set(id, connection);
  }

  private inspector(): ProtocolInspector {
    switch (this.protocol) {
      case 'postgres':
        return new PostgresInspector();
      case 'mysql':
        return new MysqlInspector();
      default:
        return new RawInspector();
    }
  }

  private resetConnection(connection: ProxiedConnection, fault: ResetFault): void {
    fault.resets++;
    this.counters.resets++;
    connection.terminate('reset');
  }

  private scoped(opts: ScopeOptions): { scope: FaultScope; mark: number; active: true } {
    const scope = opts.scope ?? 'all';
    if (scope !== 'all' && scope !== 'new' && scope !== 'existing') {
      throw new TypeError(`scope must be 'all', 'new' or 'existing', got ${String(scope)}`);
    }
    return { scope, mark: this.lastId, active: true };
  }

  private add(fault: Fault): FaultHandle {
    this.assertOpen();
    this.faults.add(fault);
    this.refreshAll();
    return this.handle(fault);
  }

  private handle(fault: Fault): FaultHandle {
    const faults = this.faults;
    const refreshAll = () => this.refreshAll();
    return {
      kind: fault.kind,
      get active() {
        return fault.active;
      },
      async off() {
        if (!fault.active) return;
        faults.remove(fault);
        refreshAll();
      },
    };
  }

  private refreshAll(): void {
    for (const connection of this.open.values()) connection.refresh();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('fault proxy is closed');
  }
}

function direction(opts: DirectionOptions): FaultDirection {
  const d = opts.direction ?? 'both';
  if (d !== 'both' && d !== 'toServer' && d !== 'toClient') {
    throw new TypeError(`direction must be 'both', 'toServer' or 'toClient', got ${String(d)}`);
  }
  return d;
}

function nonNegative(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  }
}

/**
 * A string matches statements that start with it, ignoring case and leading whitespace
 * (`'commit'` matches `COMMIT`, not `INSERT INTO commits`). A RegExp is tested as is.
 */
function toMatcher(pattern: RegExp | string): (sql: string) => boolean {
  if (typeof pattern === 'string') {
    const prefix = pattern.trim().toLowerCase();
    return (sql) => sql.trimStart().toLowerCase().startsWith(prefix);
  }
  // A global or sticky RegExp keeps state between test() calls; use a stateless copy.
  const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return (sql) => re.test(sql);
}
