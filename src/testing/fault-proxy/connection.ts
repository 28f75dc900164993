/**
 * One proxied connection: the client socket the proxy accepted, the socket it opened to the
 * target, a pipe each way, and the protocol inspector that `cutOn` relies on.
 *
 * Closing rules, so that nothing leaks and nothing crashes:
 * - both sockets always have an `error` listener; an error only decides how the other side is
 *   closed (a reset on one side is passed on as a reset);
 * - a FIN from one side is passed on after the bytes queued before it;
 * - the connection is finished when both sockets have emitted `close`.
 */
import net, { type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CloseAfterFault, CloseHow, CutFault, Direction, FaultSet } from './faults';
import type { ProtocolInspector } from './inspector';
import { Pipe, type PipeEnv } from './pipe';
import { closeSocket, resetSocket } from './sockets';
import type { ConnectionInfo, ProxyStats } from './types';

export interface ConnectionContext {
  readonly faults: FaultSet;
  readonly target: { host: string; port: number };
  readonly connectTimeoutMs: number;
  readonly stats: ProxyStats;
  createInspector(): ProtocolInspector;
  finished(connection: ProxiedConnection): void;
}

type Side = 'client' | 'server';

export class ProxiedConnection {
  readonly openedAt = performance.now();
  readonly server: Socket;
  /** Resolves when both sockets are closed. */
  readonly done: Promise<void>;

  private readonly toServer: Pipe;
  private readonly toClient: Pipe;
  private readonly inspector: ProtocolInspector;
  private readonly closeAfterCounts = new Map<CloseAfterFault, number>();
  private afterCut: { fault: CutFault; timer?: NodeJS.Timeout } | undefined;
  private afterCutWritten = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private terminated = false;
  /** A closeAfter limit was reached: nothing more is forwarded. */
  private limitReached = false;
  private serverConnected = false;
  private readonly closed = { client: false, server: false };
  private readonly failed = { client: false, server: false };
  /** A reset to pass on toward this direction once it is no longer blackholed. */
  private pendingReset: Direction | undefined;
  private resolveDone!: () => void;
  private readonly bytes = { fromClient: 0, toServer: 0, fromServer: 0, toClient: 0 };

  constructor(
    readonly id: number,
    readonly client: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.inspector = ctx.createInspector();

    client.setNoDelay(true);
    client.on('error', () => {
      this.failed.client = true;
    });
    client.on('close', () => this.sideClosed('client'));

    const server = net.connect({ host: ctx.target.host, port: ctx.target.port, allowHalfOpen: true });
    this.server = server;
    server.setNoDelay(true);
    server.on('error', () => {
      this.failed.server = true;
    });
    server.on('close', () => this.sideClosed('server'));
    server.once('connect', () => {
      this.serverConnected = true;
      this.clearConnectTimer();
    });
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (!this.serverConnected) server.destroy(new Error(`connect to target timed out`));
    }, ctx.connectTimeoutMs);

    this.toServer = new Pipe(server, this.pipeEnv('toServer', client));
    this.toClient = new Pipe(client, this.pipeEnv('toClient', server));

    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    client.on('end', () => this.toServer.pushEnd());
    server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    server.on('end', () => this.toClient.pushEnd());
  }

  get isFinished(): boolean {
    return this.closed.client && this.closed.server;
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      clientAddress: this.client.remoteAddress,
      clientPort: this.client.remotePort,
      openedAt: this.openedAt,
      serverConnected: this.serverConnected,
      bytesFromClient: this.bytes.fromClient,
      bytesToServer: this.bytes.toServer,
      bytesFromServer: this.bytes.fromServer,
      bytesToClient: this.bytes.toClient,
      passthrough: this.inspector.passthrough,
    };
  }

  /** The faults changed. */
  refresh(): void {
    if (this.terminated) return;
    this.toServer.refresh();
    this.toClient.refresh();
    if (this.pendingReset && !this.ctx.faults.blackholed(this.id, this.pendingReset)) {
      resetSocket(this.pendingReset === 'toServer' ? this.server : this.client);
      this.pendingReset = undefined;
    }
  }

  /** Close both sides at once: `reset` sends RSTs, `close` FINs, `destroy` just closes. */
  terminate(how: CloseHow | 'destroy'): void {
    if (this.terminated) return;
    this.terminated = true;
    this.clearConnectTimer();
    if (this.afterCut?.timer) clearTimeout(this.afterCut.timer);
    this.toServer.dispose();
    this.toClient.dispose();
    for (const socket of [this.client, this.server]) {
      if (how === 'reset') resetSocket(socket);
      else if (how === 'close') closeSocket(socket);
      else socket.destroy();
    }
  }

  private pipeEnv(direction: Direction, source: Socket): PipeEnv {
    const { faults, stats } = this.ctx;
    return {
      latency: () => faults.latency(this.id, direction),
      bandwidth: () => faults.bandwidth(this.id, direction),
      blackholed: () => faults.blackholed(this.id, direction),
      sliceGap: () => faults.sliceGap(this.id, direction),
      wrote: (n) => {
        if (direction === 'toServer') {
          this.bytes.toServer += n;
          stats.bytesToServer += n;
        } else {
          this.bytes.toClient += n;
          stats.bytesToClient += n;
        }
      },
      close: (how) => {
        stats.closedAfterBytes++;
        this.terminate(how);
      },
      pauseSource: () => source.pause(),
      resumeSource: () => source.resume(),
    };
  }

  private fromClient(chunk: Buffer): void {
    this.bytes.fromClient += chunk.length;
    this.ctx.stats.bytesFromClient += chunk.length;
    if (this.terminated || this.limitReached) return;
    const { faults } = this.ctx;
    for (const segment of this.inspector.fromClient(chunk)) {
      if (this.terminated || this.limitReached) return;
      const sql = segment.statement?.text;
      if (sql !== undefined && !this.afterCut && !faults.blackholed(this.id, 'toServer')) {
        const rule = faults.cutFor(this.id, sql);
        if (rule) {
          rule.cuts++;
          this.ctx.stats.cuts++;
          if (rule.when === 'before') {
            this.terminate(rule.how);
            return;
          }
          this.afterCut = { fault: rule };
          this.forward('toServer', segment.bytes, (written) => this.cutStatementSent(written));
          continue;
        }
      }
      this.forward('toServer', segment.bytes);
    }
  }

  private fromServer(chunk: Buffer): void {
    this.bytes.fromServer += chunk.length;
    this.ctx.stats.bytesFromServer += chunk.length;
    this.inspector.fromServer(chunk);
    if (this.terminated || this.limitReached) return;
    if (this.afterCut && this.afterCutWritten) {
      // The server answered the statement: it was processed. The client never hears.
      this.terminate(this.afterCut.fault.how);
      return;
    }
    this.forward('toClient', chunk);
  }

  /** `cutOn(..., { when: 'after' })`: the statement was handed to the server socket. */
  private cutStatementSent(written: boolean): void {
    if (this.terminated || !this.afterCut) return;
    const { fault } = this.afterCut;
    if (!written) {
      this.terminate(fault.how);
      return;
    }
    this.afterCutWritten = true;
    this.afterCut.timer = setTimeout(() => this.terminate(fault.how), fault.replyWaitMs);
  }

  private forward(direction: Direction, buf: Buffer, done?: (written: boolean) => void): void {
    const { faults } = this.ctx;
    if (faults.blackholed(this.id, direction)) {
      done?.(false);
      return;
    }
    let limit: CloseAfterFault | undefined;
    let send = buf.length;
    const applicable = faults.closeAfter(this.id, direction);
    for (const fault of applicable) {
      const left = Math.max(0, fault.bytes - (this.closeAfterCounts.get(fault) ?? 0));
      if (left <= send) {
        send = left;
        limit = fault;
      }
    }
    for (const fault of applicable) {
      this.closeAfterCounts.set(fault, (this.closeAfterCounts.get(fault) ?? 0) + send);
    }
    const pipe = direction === 'toServer' ? this.toServer : this.toClient;
    pipe.push(send === buf.length ? buf : buf.subarray(0, send), done);
    if (limit) {
      this.limitReached = true;
      pipe.pushClose(limit.how);
    }
  }

  private sideClosed(side: Side): void {
    this.closed[side] = true;
    if (side === 'server') this.clearConnectTimer();
    (side === 'client' ? this.toClient : this.toServer).dispose();
    if (this.isFinished) {
      this.finish();
      return;
    }
    if (this.terminated) return;
    const towardOther: Direction = side === 'client' ? 'toServer' : 'toClient';
    if (this.failed[side]) {
      // A reset (or a failed connect) is passed on as a reset, unless the network toward the
      // other side is blackholed: then the other side hears nothing until the fault ends.
      if (this.ctx.faults.blackholed(this.id, towardOther)) this.pendingReset = towardOther;
      else resetSocket(side === 'client' ? this.server : this.client);
    } else {
      (side === 'client' ? this.toServer : this.toClient).pushEnd();
    }
  }

  private finish(): void {
    this.terminated = true;
    this.clearConnectTimer();
    if (this.afterCut?.timer) clearTimeout(this.afterCut.timer);
    this.toServer.dispose();
    this.toClient.dispose();
    this.ctx.finished(this);
    this.resolveDone();
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }
}
