import createDebug from 'debug';
import { AllNodesDownError } from './all-nodes-down';
import { classifyFailure } from './classify';
import { type Clock, systemClock } from './clock';
import { DeadConnections } from './dead-connections';
import type { RunSql } from './dialect';
import type { Driver } from './driver';
import { guardEmit } from './emit';
import {
  type FailoverPoolError,
  type NodeUnavailableReason,
  NoPrimaryError,
  WriteOutcomeUnknownError,
} from './errors';
import type { EmitFailoverEvent } from './events';
import { healthOf, type PoolHealth } from './health';
import { HungNodes } from './hung-nodes';
import { WritesLostDetector } from './loss/writes-lost';
import { Monitor } from './monitor';
import type { NodeAddress, NodeView } from './node';
import { type ConnectionUsage, type NodePool, NodeRetiredError, SessionNotWritableError } from './node-pool';
import type { ResolvedFailoverOptions, ResolvedMonitorOptions } from './options';
import { Prober } from './prober';
import type { ResolvedPromotionOptions } from './promotion/options';
import { Promoter } from './promotion/promoter';
import { type CausalPosition, decodeCausalToken, encodeCausalToken } from './reads/causal-token';
import { type HeartbeatWriter, heartbeatWriterFor } from './reads/heartbeat-writer';
import { type ResolvedReadsOptions, resolveReadsOptions } from './reads/options';
import { ReplicaReads } from './reads/replica-reads';
import {
  type Decision,
  decide,
  endedByServer,
  type FailureKind,
  type Operation,
  type RetryReason,
} from './retry';
import { describeNodes, Router } from './router';
import type { TopologySnapshot } from './topology';
import { type Done, promiseOf, type Work, workOf } from './work';

const debug = createDebug('failover-pool:engine');

/**
 * How long `end()` lets statements already under way finish before closing their connections (a
 * hung server would never let them).
 */
const END_WAIT_MS = 10_000;

/**
 * The least time between the two questions that find a connection dead after an outage (see
 * DeadConnections): an answer the server sent just before the first question has arrived by then.
 */
const DEAD_CONNECTION_GRACE_MS = 250;

/** A statement's wait for a primary is bounded from the moment it starts waiting (see reconnect). */
const DEADLINE_ON_FIRST_FAILURE = Number.NaN;

/** A read: safe to run again after any failure. */
const READ: Operation = { reRunnable: true };

/** A connection the caller holds on to, and the node it is pinned to. */
export interface Pinned<Connection> {
  readonly connection: Connection;
  readonly node: NodeView;
}

/**
 * How a statement ended (`error` set when it failed), and the connection it ended on: undefined when
 * that is gone (closed after a failure), else the caller's to give back.
 */
export type Finish<T, Connection> = (
  error: unknown,
  result: T | undefined,
  pinned: Pinned<Connection> | undefined,
) => void;

/**
 * The failover engine, the same for every driver: a monitor that keeps the topology, a router
 * that waits for a primary, one pool per node, and the retry loop that re-runs only what
 * certainly did not run. Driver facades are thin layers over `send` and `acquire`.
 */
export class FailoverEngine<Connection> {
  private readonly monitor: Monitor;
  private readonly prober: Prober;
  private readonly router: Router;
  private readonly pools = new Map<string, NodePool<Connection>>();
  private readonly nodes: readonly NodeAddress[];
  private readonly emit: EmitFailoverEvent;
  private ended = false;
  private endPromise: Promise<void> | undefined;
  /** The primary (or 'split-brain') for which every other node's pool was last retired. */
  private retiredFor: string | undefined;
  /** The last node that was primary, for a caller's own attempt when every node is down. */
  private lastPrimary: string | undefined;
  /** Writes that ended in WriteOutcomeUnknownError, for `pool.metrics()`. */
  outcomeUnknownCount = 0;
  /** Told of each of them (the OpenTelemetry counter). */
  onOutcomeUnknown: (() => void) | undefined;
  /** Told how long writes had no primary, each time they have one again (`pool.metrics()`). */
  onOutage: ((seconds: number) => void) | undefined;
  private hadPrimary = false;
  /** Since when writes have had no primary (health()); undefined while they have one. */
  private noPrimarySince: number | undefined;
  /** Statements and checkouts under way (see `end`). */
  private active = 0;
  private onIdle: (() => void) | undefined;
  private startedAt = 0;
  /** Nodes the monitor has given up on, whose connections are closed once they stay so too long. */
  private readonly hung: HungNodes;
  /** Connections an outage left dead on a node that answers again. */
  private readonly dead: DeadConnections<Connection>;
  /** Promotion by the library, when `promotion.enabled` (docs/promotion.md). */
  private readonly promoter: Promoter | undefined;
  /** Compares each new primary with what the old one held (loss/writes-lost.ts). */
  private readonly lostWrites: WritesLostDetector;
  /** Statements marked `readFrom: 'replica'` (reads/replica-reads.ts). */
  readonly replicaReads: ReplicaReads<Connection>;
  /** `reads.heartbeat` (MySQL/MariaDB): the beat on the primary that replicas are measured by. */
  private readonly heartbeat: HeartbeatWriter | undefined;

  constructor(
    nodes: readonly NodeAddress[],
    readonly driver: Driver<Connection>,
    private readonly options: ResolvedFailoverOptions,
    monitorOptions: ResolvedMonitorOptions,
    emit: EmitFailoverEvent,
    private readonly clock: Clock = systemClock,
    promotion?: ResolvedPromotionOptions,
    reads: ResolvedReadsOptions = resolveReadsOptions(undefined),
  ) {
    this.nodes = nodes;
    this.emit = guardEmit(emit);
    this.prober = new Prober(driver, { heartbeatTable: reads.heartbeat?.table });
    this.monitor = new Monitor(
      nodes,
      this.prober.probe,
      monitorOptions,
      clock,
      this.emit,
      (snapshot, allDown) => this.onSnapshot(snapshot, allDown),
    );
    this.router = new Router(this.monitor.current(), options, clock, (n) => this.monitor.setWaiting(n));
    this.dead = new DeadConnections(driver, clock, monitorOptions.timeoutMs);
    this.promoter = promotion && new Promoter(nodes, driver, promotion, clock, this.emit);
    this.lostWrites = new WritesLostDetector(
      driver.dialect.comparePositions,
      driver.dialect.holdsPosition,
      (at) => new Date(Date.now() - (clock.now() - at)),
      (message) => debug(message),
    );
    this.replicaReads = new ReplicaReads(
      {
        snapshot: () => this.monitor.current(),
        poolFor: (node) => this.poolFor(node),
        classify: (error, connection) => this.classify(error, connection),
        reportFailure: (node, error) => this.monitor.reportFailure(node, error),
        sqlOn: (connection) => this.sqlOn(connection),
        destroy: (connection) => driver.destroy(connection),
        operations: driver.dialect.operations,
        clock,
        onPrimary: (work, done) => this.send(READ, work, done),
      },
      reads,
    );
    this.heartbeat = heartbeatWriterFor(
      reads.heartbeat,
      driver,
      { primary: () => this.monitor.current().primary ?? undefined },
      clock,
      monitorOptions.timeoutMs,
    );
    this.hung = new HungNodes(options.abandonAfterMs ?? options.waitForPrimaryMs, clock, {
      abandon: (node, downForMs) => this.abandon(node, downForMs),
      recovered: (node) => this.sweepDeadConnections(node),
    });
  }

  start(): void {
    this.startedAt = this.clock.now();
    this.noPrimarySince = this.startedAt;
    this.monitor.start();
    this.heartbeat?.start();
  }

  topology(): TopologySnapshot {
    return this.monitor.current();
  }

  /** `pool.health()`: health.ts. */
  health(): PoolHealth {
    return healthOf(this.monitor.current(), {
      ended: this.ended,
      waiting: this.router.waitingCount,
      noPrimarySince: this.noPrimarySince,
      now: this.clock.now(),
    });
  }

  get waitingCount(): number {
    return this.router.waitingCount;
  }

  /** Open and checked-out connections per node the pool has connected to (`db.client.connection.count`). */
  connectionUsage(): { readonly node: string; readonly usage: ConnectionUsage }[] {
    return [...this.pools].map(([node, pool]) => ({ node, usage: pool.usage() }));
  }

  /**
   * Runs `work` on a connection to the primary and hands `done` its outcome. A failure that
   * certainly did not apply the work (read-only node, connect failed, never sent, rolled back by a
   * shutdown) is re-run on the current primary; a write whose connection died after sending becomes
   * WriteOutcomeUnknownError unless `operation.reRunnable`; anything else reaches the caller
   * unchanged. A connection that saw any error is closed rather than pooled, as pg.Pool does (a
   * timed-out query may still be running).
   *
   * The path of every statement: while the primary is known and its pool hands out a connection
   * known to be writable, it is callbacks only; anything else continues on the retry path.
   */
  send<T>(operation: Operation, work: Work<Connection, T>, done: Done<T>): void {
    this.active++;
    const settle: Done<T> = (error, result) => {
      this.settled();
      done(error, result);
    };
    this.execute(operation, work, undefined, (error, result, pinned) => {
      if (pinned) this.poolFor(pinned.node).release(pinned.connection, error !== undefined, error);
      if (error !== undefined) return settle(error);
      const node = (pinned as Pinned<Connection>).node;
      // One comparison while the node that answered is still primary.
      if (this.router.current()?.name === node.name || !this.answeredWhileGivenUp(node.name)) {
        return settle(undefined, result);
      }
      this.confirmAnswer(operation, work, node, result as T).then(
        (confirmed) => settle(undefined, confirmed),
        (failure: unknown) => settle(failure),
      );
    });
  }

  /**
   * A read marked `readFrom: 'replica'`: on a replica (reads/replica-reads.ts), `after` the causal
   * position if given; on the primary when no replica fits.
   */
  sendRead<T>(work: Work<Connection, T>, after: CausalPosition | undefined, done: Done<T>): void {
    if (this.ended) {
      this.send(READ, work, done);
      return;
    }
    this.active++;
    this.replicaReads.send(work, after, (error, result) => {
      this.settled();
      done(error, result);
    });
  }

  /**
   * `pool.causalToken()`: the primary's position now, which covers every write acknowledged so far,
   * as a string another pool of this cluster can read after (reads/causal-token.ts).
   */
  async causalToken(): Promise<string> {
    const { position, generation } = await this.run(READ, async (connection, node) => {
      const at = this.clock.now();
      const current = await this.driver.dialect.operations.currentPosition(this.sqlOn(connection));
      // Lost later with its primary, the writes it covers are reported by writesLost.
      this.lostWrites.tokenIssued(node.name, current, at);
      return { position: current, generation: node.generation };
    });
    return encodeCausalToken({ engine: this.driver.dialect.name, position, generation });
  }

  /** Reads a token given as a statement's `after` (ConfigError when it is not one of this engine's). */
  causalPosition(token: unknown): CausalPosition {
    return decodeCausalToken(token, this.driver.dialect.name);
  }

  /** The library's own statements on one of the pool's connections. */
  private sqlOn(connection: Connection): RunSql {
    return async (sql, values) => (await this.driver.execute(connection, sql, values ?? [])).rows;
  }

  /** One statement or checkout fewer under way; `end()` waits for none to be left. */
  private settled(): void {
    this.active--;
    if (this.active === 0) this.onIdle?.();
  }

  /** `send`, for work written with promises (the library's own statements). */
  run<T>(operation: Operation, work: (connection: Connection, node: NodeView) => Promise<T>): Promise<T> {
    return promiseOf<T>((done) => this.send(operation, workOf(work), done));
  }

  /**
   * The node that just answered is one the monitor had given up: its probes fail or time out (it
   * hung, and woke up), or it is excluded as a stale primary. A node merely suspected after one
   * failed query (a demotion under way, a reset connection) still answers probes: its answers stand.
   */
  private answeredWhileGivenUp(nodeName: string): boolean {
    const view = this.monitor.current().nodes.find((n) => n.name === nodeName);
    return view === undefined || !view.healthy || view.excluded !== undefined;
  }

  /**
   * A statement answered by a node the monitor had given up as primary: it stopped answering (a
   * hang), and woke up and finished what it held. Its answer stands only if the monitor then finds
   * it is still the primary (a long stall). If another node took over meanwhile (promoted while
   * this one hung), the write exists only on a superseded node, which replication may never bring to
   * the new one: re-runnable work is run again on the new primary; other writes fail with
   * WriteOutcomeUnknownError rather than report a success that may be lost.
   */
  private async confirmAnswer<T>(
    operation: Operation,
    work: Work<Connection, T>,
    node: NodeView,
    result: T,
  ): Promise<T> {
    const answeredAt = this.clock.now();
    // A decision from probes that all started after the answer: the node that woke up may answer
    // its probe before the others are probed again, and the others' last word may predate a
    // promotion that happened while it hung.
    const fresh = await this.monitor.freshSnapshot(answeredAt);
    const primary =
      fresh.primary ??
      (await this.router.primary(answeredAt + this.options.waitForPrimaryMs).catch(() => null));
    if (primary?.name === node.name) return result;
    if (operation.reRunnable) return promiseOf<T>((done) => this.send(operation, work, done));
    const now = primary
      ? `${primary.name} has become primary meanwhile`
      : 'no primary could be confirmed within failover.waitForPrimaryMs';
    throw new WriteOutcomeUnknownError(
      `The statement was applied on ${node.name} after the pool had stopped treating it as primary, and ${now}: ` +
        `it may be lost with ${node.name}. Check before repeating it, or mark the query \`idempotent: true\` ` +
        'if running it twice is harmless.',
      { host: node.host, port: node.port, role: node.role, attempt: 1 },
    );
  }

  /**
   * The first statement on a pinned connection, under the same re-run rules as `send` (nothing ran on
   * the connection before, so nothing of the session is lost by moving to a fresh one). `done` also
   * gets the connection the statement ended on, or none when it is gone.
   */
  sendPinned<T>(
    operation: Operation,
    start: Pinned<Connection>,
    work: Work<Connection, T>,
    done: Finish<T, Connection>,
  ): void {
    this.execute(operation, work, start, done);
  }

  /**
   * Runs `work` from `start`, or on a fresh connection to the primary, under the re-run rules:
   * `finish` gets the outcome and the connection it ended on (undefined when that is gone).
   */
  private execute<T>(
    operation: Operation,
    work: Work<Connection, T>,
    start: Pinned<Connection> | undefined,
    finish: Finish<T, Connection>,
  ): void {
    // When waiting for a primary may begin: counted from the first failure, read only then (the
    // path of every statement reads no clock).
    const deadline = DEADLINE_ON_FIRST_FAILURE;
    if (start) {
      this.attempt(operation, work, start, 1, deadline, finish);
      return;
    }
    const node = this.router.current();
    if (node === null || this.ended) {
      this.reconnect(operation, work, 1, undefined, deadline, finish);
      return;
    }
    const pool = this.poolFor(node);
    pool.acquire((error, connection) => {
      if (error || connection === undefined) {
        // The retry path classifies the failure again and decides.
        return this.reconnect(operation, work, 1, error, this.waitLimit(node, deadline), finish, node);
      }
      const state = this.driver.stateOf(connection);
      const writable = state.writable ?? this.driver.reportedWritable(connection);
      const stillPrimary = this.router.current()?.name === node.name;
      if (writable === true && stillPrimary) {
        return this.attempt(operation, work, { connection, node }, 1, deadline, finish);
      }
      // A new connection that must be asked for its role (the retry path asks), or one to a node no
      // longer primary or not writable (closed).
      pool.release(connection, writable === false || !stillPrimary);
      this.reconnect(operation, work, 1, undefined, deadline, finish);
    });
  }

  /** One try of `work` on `pinned`; a failure is classified and decided here. */
  private attempt<T>(
    operation: Operation,
    work: Work<Connection, T>,
    pinned: Pinned<Connection>,
    attempt: number,
    deadline: number,
    finish: Finish<T, Connection>,
  ): void {
    const { connection, node } = pinned;
    work(connection, node, (error, result) => {
      if (!error) return finish(undefined, result, pinned);
      const kind = this.classify(error, connection);
      const decision = this.certificationFailure(error, connection, node) ?? decide(kind, operation);
      if (decision.action === 'surface') return finish(error, undefined, pinned);
      // A certification failure says nothing against the node: it stays the writer, unprobed.
      const nodeFailed = decision.action !== 'retry' || decision.reason !== 'certification-failure';
      if (nodeFailed) this.monitor.reportFailure(node.name, error);
      // After the report: a probe that clears the suspicion it raised starts later still.
      const failedAt = this.clock.now();
      const goOn = () => {
        // The connection that met a certification failure is sound: it goes back to the pool.
        if (nodeFailed) this.poolFor(node).release(connection, true, error);
        else this.poolFor(node).release(connection, false);
        if (decision.action === 'outcome-unknown') {
          const unknown = this.outcomeUnknown(kind, node, attempt, error, this.cutBecause(node, connection));
          return finish(unknown, undefined, undefined);
        }
        const limit = this.waitLimit(node, deadline);
        this.beforeRetry(attempt, node, decision.reason, error).then(
          () => this.reconnect(operation, work, attempt + 1, error, limit, finish),
          (failure: unknown) => finish(failure, undefined, undefined),
        );
      };
      if (!endedByServer(kind)) return goOn();
      // The server ended the session (PostgreSQL 57P01, MySQL's KILL). That is a shutdown or a
      // failover manager's doing only if the node is going away. An operator who killed the session
      // (pg_terminate_backend, KILL) meant it: the node still answers as primary, and the caller gets
      // the server's error, with the connection it broke (as from the driver's pool).
      this.stillPrimary(node.name, failedAt).then((still) =>
        still ? finish(error, undefined, pinned) : goOn(),
      );
    });
  }

  /**
   * A statement that was its own transaction, rolled back by a Galera node at COMMIT because a write
   * certified first elsewhere touched its rows (reported as a deadlock, 1213): it applied nothing,
   * and the conflict came from the cluster (another node took writes), not from the app's own lock
   * order, so it runs again, like a write refused by a read-only node. Only on Galera, and only for
   * a statement sent alone (a multi-statement text may have committed part): on plain InnoDB a
   * deadlock reaches the caller as the driver reports it, and `pool.transaction` re-runs its own.
   */
  private certificationFailure(error: unknown, connection: Connection, node: NodeView): Decision | undefined {
    if (!node.galera || this.driver.stateOf(connection).multiStatement) return undefined;
    if (this.driver.dialect.transactions.conflictOf(error) !== 'deadlock') return undefined;
    return { action: 'retry', reason: 'certification-failure' };
  }

  /** The engine's clock, for callers of `stillPrimary`. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Whether `nodeName` is still the primary by probes that all started at `since` or later, its own
   * on a new connection: the monitor's word on a session the server ended, which an operator's kill
   * does to one session and a shutdown to all of them (and it then refuses new connections).
   */
  stillPrimary(nodeName: string, since: number): Promise<boolean> {
    this.prober.renew(nodeName);
    return this.monitor.freshSnapshot(since).then((fresh) => fresh.primary?.name === nodeName);
  }

  /**
   * Until when a caller whose statement or connect failed on `node` may wait for a primary: `deadline`
   * if one is set. A caller cut off on an abandoned node counts from when the monitor gave the node
   * up, as one that arrived then would, so that the cut-off does not start a second full wait.
   */
  private waitLimit(node: NodeView, deadline: number): number {
    if (!Number.isNaN(deadline)) return deadline;
    const since = this.hung.abandonedSince(node.name);
    return since === undefined ? deadline : since + this.options.waitForPrimaryMs;
  }

  /** A fresh connection to the primary (waiting and retrying as need be), then `attempt` on it. */
  private reconnect<T>(
    operation: Operation,
    work: Work<Connection, T>,
    attempt: number,
    lastError: unknown,
    deadline: number,
    finish: Finish<T, Connection>,
    failedOn?: NodeView,
  ): void {
    const limit = Number.isNaN(deadline) ? this.clock.now() + this.options.waitForPrimaryMs : deadline;
    const opening = failedOn
      ? this.afterConnectFailure(failedOn, attempt, lastError).then(() =>
          this.connectToPrimary(limit, attempt + 1, lastError),
        )
      : this.connectToPrimary(limit, attempt, lastError);
    opening.then(
      (opened) => this.attempt(operation, work, opened, opened.attempt, limit, finish),
      (failure: unknown) => finish(failure, undefined, undefined),
    );
  }

  /** Why the pool itself closed `connection` to `node`, if it did (abandoned node, dead connection). */
  private cutBecause(node: NodeView, connection: Connection): string | undefined {
    const abandonedSince = this.hung.abandonedSince(node.name);
    if (abandonedSince !== undefined) {
      return (
        `was cut off after the write was sent: ${node.name} had not answered the monitor's probes for ` +
        `${Math.round(this.clock.now() - abandonedSince)} ms (failover.abandonAfterMs), so its connections ` +
        'were closed; it may or may not have been applied'
      );
    }
    if (this.dead.closedBySweep(connection)) {
      return (
        `was cut off after the write was sent: ${node.name} had stopped answering for a while, and once it ` +
        'answered again it was running nothing for this connection, whose answer never came (lost on the ' +
        'way); it may or may not have been applied'
      );
    }
    return undefined;
  }

  private outcomeUnknown(
    kind: FailureKind,
    node: NodeView,
    attempt: number,
    cause: unknown,
    cut?: string,
  ): Error {
    const what =
      cut ??
      (kind === 'timed-out'
        ? 'timed out (the query timeout you set) after the write was sent; it may still be applied'
        : 'was lost after the write was sent; it may or may not have been applied');
    this.outcomeUnknownCount++;
    this.onOutcomeUnknown?.();
    return new WriteOutcomeUnknownError(
      `The statement on ${node.name} ${what}, so it was not re-run. Check before repeating it, or mark ` +
        'the query `idempotent: true` if running it twice is harmless.',
      { host: node.host, port: node.port, role: node.role, attempt, cause },
    );
  }

  /**
   * A connection to the primary that the caller keeps (pinned). Only opening it is retried; what
   * the caller runs on it later is not. `failedOn`: the node the caller's last try failed on (a
   * transaction run again), whose wait for a primary may have begun already (see waitLimit).
   */
  acquire(failedOn?: NodeView): Promise<Pinned<Connection>> {
    this.active++;
    return this.connectNow(failedOn).finally(() => this.settled());
  }

  /**
   * `acquire`'s work. While the primary is known, its pool is asked at once (a caller queued for a
   * pooled client counts in `waitingCount` when `connect()` returns, as with the driver's pool).
   */
  private connectNow(failedOn: NodeView | undefined): Promise<Pinned<Connection>> {
    const node = this.router.current();
    const limit = failedOn ? this.waitLimit(failedOn, DEADLINE_ON_FIRST_FAILURE) : DEADLINE_ON_FIRST_FAILURE;
    const slowly = (): Promise<Pinned<Connection>> =>
      this.connectToPrimary(
        Number.isNaN(limit) ? this.clock.now() + this.options.waitForPrimaryMs : limit,
        1,
        undefined,
      );
    if (node === null || this.ended) return slowly();
    const pool = this.poolFor(node);
    return new Promise<Pinned<Connection>>((resolve, reject) => {
      pool.acquire((error, connection) => {
        if (error || connection === undefined) {
          // The retry path takes it from this failure: an app's onConnect hook that threw is not run again.
          const limit = this.waitLimit(node, DEADLINE_ON_FIRST_FAILURE);
          const deadline = Number.isNaN(limit) ? this.clock.now() + this.options.waitForPrimaryMs : limit;
          this.afterConnectFailure(node, 1, error)
            .then(() => this.connectToPrimary(deadline, 2, error))
            .then(resolve, reject);
          return;
        }
        const state = this.driver.stateOf(connection);
        const writable = state.writable ?? this.driver.reportedWritable(connection);
        const stillPrimary = this.router.current()?.name === node.name;
        if (writable === true && stillPrimary) return resolve({ connection, node });
        pool.release(connection, writable === false || !stillPrimary);
        slowly().then(resolve, reject);
      });
    });
  }

  /** Gives back a pinned connection; destroyed when broken or when its node is no longer primary. */
  release(node: NodeView, connection: Connection, broken: boolean, cause?: unknown): void {
    const pool = this.pools.get(node.name);
    if (!pool) return;
    pool.release(connection, broken || this.pinnedStatus(node.name) !== null, cause);
  }

  /** Null while `nodeName` is still the primary; otherwise why a pinned connection must not be used. */
  pinnedStatus(nodeName: string): NodeUnavailableReason | null {
    const snapshot = this.monitor.current();
    if (snapshot.primary?.name === nodeName) return null;
    const view = snapshot.nodes.find((n) => n.name === nodeName);
    if (!view?.healthy) return 'down';
    if (view.excluded === 'stale-primary' || view.excluded === 'split-brain') return 'superseded';
    if (view.suspect && view.writable && !view.excluded) return null;
    if (!view.writable) return 'demoted';
    return 'superseded';
  }

  /** A failure seen outside `run` (on a pinned connection) that says the node may be gone. */
  reportFailure(nodeName: string, error: unknown): void {
    this.monitor.reportFailure(nodeName, error);
  }

  /** Stops the monitor, fails waiting callers, and closes every connection. */
  /**
   * Ends the pool as pg.Pool and mysql2 do: what the app issued before finishes first (bounded by
   * END_WAIT_MS), then the monitor stops and every connection is closed. A pool ended while it still
   * discovers its cluster first finishes that one round of probes, so that statements issued before
   * `end()` find the primary; callers still waiting for a primary after that fail with PoolEndedError.
   */
  end(): Promise<void> {
    this.endPromise ??= (async () => {
      // The process waits for end() as for a driver pool's end: the monitor's own timers and sockets
      // do not hold it open, and a pool still discovering would otherwise let the process exit.
      const release = this.clock.setTimer(() => undefined, END_WAIT_MS * 2, true);
      try {
        await this.close();
      } finally {
        release();
      }
    })();
    return this.endPromise;
  }

  private async close(): Promise<void> {
    if (this.monitor.current().discovering) await this.monitor.freshSnapshot(this.startedAt);
    this.ended = true;
    const ended = this.driver.endedError();
    this.router.rejectAll(ended);
    // Statements queued for a connection: each driver's pool says what becomes of them.
    for (const pool of this.pools.values()) pool.failQueued(ended);
    await this.idle(END_WAIT_MS);
    this.hung.stop();
    await this.promoter?.stop();
    await this.heartbeat?.stop();
    await this.monitor.stop();
    await Promise.all([this.prober.close(), ...[...this.pools.values()].map((p) => p.end())]);
  }

  /** Resolves when no statement or checkout is under way, or after `limitMs`. */
  private idle(limitMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const cancel = this.clock.setTimer(resolve, limitMs, false);
      this.onIdle = () => {
        cancel();
        resolve();
      };
    });
  }

  /**
   * What a failure means for the statement that got it. `connection`: the one it ran on; undefined
   * when getting a connection failed. A session the server ended marks its connection dead.
   */
  classify(error: unknown, connection: Connection | undefined): FailureKind {
    if (connection === undefined) return classifyFailure(this.driver.dialect, error, undefined);
    const state = this.driver.stateOf(connection);
    const kind = classifyFailure(this.driver.dialect, error, state);
    // The server said it ended the session; its socket closes a moment later. Nothing more may be
    // sent meanwhile: a statement queued behind this one is refused as not sent, not lost in flight.
    if (endedByServer(kind)) state.alive = false;
    return kind;
  }

  private async connectToPrimary(
    deadline: number,
    firstAttempt: number,
    previousError: unknown,
  ): Promise<Pinned<Connection> & { attempt: number }> {
    let lastError = previousError;
    for (let attempt = firstAttempt; ; attempt++) {
      if (this.ended) throw this.driver.endedError();
      if (attempt > this.options.maxAttempts) throw this.attemptsExhausted(attempt - 1, lastError);
      const node = this.router.current() ?? (await this.waitForPrimary(deadline, attempt, lastError));
      try {
        const connection = await this.writableConnection(this.poolFor(node), node);
        return { connection, node, attempt };
      } catch (error) {
        lastError = error;
        await this.afterConnectFailure(node, attempt, error);
      }
    }
  }

  /** Getting a connection to `node` failed: throws what re-running cannot cure, else waits to retry. */
  private async afterConnectFailure(node: NodeView, attempt: number, error: unknown): Promise<void> {
    const kind = this.classify(error, undefined);
    if (kind === 'application') throw error; // e.g. wrong password: re-running cannot help
    this.monitor.reportFailure(node.name, error);
    await this.beforeRetry(attempt, node, kind === 'read-only' ? 'read-only' : 'connect-failed', error);
  }

  /**
   * A connection from `node`'s pool that can write. A new connection is checked before use (the node
   * may have been demoted since the last probe): from what the server reported at login where it
   * does, else with one query, whose answer the connection keeps. Opening a connection can also
   * outlast the node's time as primary (it hung, and came back after another node was promoted): a
   * connection to anything but the primary now is not used.
   */
  private async writableConnection(pool: NodePool<Connection>, node: NodeView): Promise<Connection> {
    const connection = await promiseOf<Connection>((done) => pool.acquire(done));
    const state = this.driver.stateOf(connection);
    let writable = state.writable ?? this.driver.reportedWritable(connection);
    if (writable === undefined) {
      const { dialect } = this.driver;
      try {
        const { rows } = await this.driver.execute(connection, dialect.sessionWritableSql, []);
        writable = state.writable = dialect.sessionWritable(rows[0]);
      } catch (error) {
        pool.release(connection, true);
        throw error;
      }
    }
    if (!writable) {
      pool.release(connection, true);
      throw new SessionNotWritableError(node.name, 'the server reports a standby or read-only session');
    }
    if (this.monitor.current().primary?.name !== node.name) {
      pool.release(connection, true);
      throw new NodeRetiredError(node.name);
    }
    return connection;
  }

  private async waitForPrimary(deadline: number, attempt: number, lastError: unknown): Promise<NodeView> {
    let reached = false;
    for (;;) {
      try {
        return await this.router.primary(deadline);
      } catch (error) {
        if (error instanceof AllNodesDownError && !reached) {
          await this.reachSomeNode();
          reached = true;
          continue;
        }
        if (error instanceof AllNodesDownError) {
          // A connection opened, yet every probe still fails: say what the monitor sees.
          throw new NoPrimaryError(
            'timeout',
            `No primary: every node fails the monitor's probe. ${describeNodes(this.monitor.current())}`,
            0,
            { attempt, cause: lastError },
          );
        }
        // Give the caller the failure that started the wait, not just "no primary".
        if (error instanceof NoPrimaryError && lastError !== undefined) {
          throw new NoPrimaryError(error.reason, error.message, error.waitedMs, {
            attempt,
            cause: lastError,
          });
        }
        throw error;
      }
    }
  }

  /**
   * With every node down, the caller's own attempt to connect, to the last primary (else the first
   * node listed): its error is the caller's, as from the driver's pool. If it connects after all,
   * the node is back: wait for a round of probes to say what it is.
   */
  private async reachSomeNode(): Promise<void> {
    const snapshot = this.monitor.current();
    const node = snapshot.nodes.find((n) => n.name === this.lastPrimary) ?? (snapshot.nodes[0] as NodeView);
    const tried = this.clock.now();
    const take = () => promiseOf<Connection>((done) => this.poolFor(node).acquire(done));
    // The node may be abandoned (see HungNodes) while this connect is under way: that says nothing
    // of the node the caller would not learn from a connect of its own, so it makes one.
    const connection = await take().catch((error: unknown) => {
      if (error instanceof NodeRetiredError) return take();
      throw error;
    });
    this.poolFor(node).release(connection, false);
    await this.monitor.probedAgain(tried);
  }

  private async beforeRetry(
    attempt: number,
    node: NodeView,
    reason: RetryReason,
    error: unknown,
  ): Promise<void> {
    if (attempt >= this.options.maxAttempts) throw this.attemptsExhausted(attempt, error);
    const delayMs = Math.max(0, this.options.retryDelayMs(attempt));
    debug('retry %d on %s after %s (%d ms)', attempt, node.name, reason, Math.round(delayMs));
    this.emit('retry', { attempt, node: node.name, reason, error, delayMs });
    if (delayMs > 0) await new Promise<void>((resolve) => this.clock.setTimer(resolve, delayMs, true));
  }

  private attemptsExhausted(attempts: number, cause: unknown): FailoverPoolError {
    return new NoPrimaryError(
      'attempts',
      `Gave up after ${attempts} tries (failover.maxAttempts); none of them was applied. ` +
        'The last failure is the cause.',
      0,
      { attempt: attempts, cause },
    );
  }

  private poolFor(node: NodeAddress): NodePool<Connection> {
    let pool = this.pools.get(node.name);
    if (!pool) {
      pool = this.driver.createNodePool(node);
      this.pools.set(node.name, pool);
    }
    return pool;
  }

  private onSnapshot(snapshot: TopologySnapshot, fatal: unknown): void {
    if (snapshot.primary) this.lastPrimary = snapshot.primary.name;
    if (snapshot.primary) {
      // Writes had no primary since then (not the pool's start): an outage, whichever node is back.
      if (this.noPrimarySince !== undefined && this.hadPrimary) {
        this.onOutage?.((this.clock.now() - this.noPrimarySince) / 1000);
      }
      this.hadPrimary = true;
      this.noPrimarySince = undefined;
    } else this.noPrimarySince ??= this.clock.now();
    this.router.update(snapshot, fatal);
    this.retireOthers(snapshot);
    this.replicaReads.cutReadsOnLost(snapshot);
    const lost = this.lostWrites.update(snapshot);
    if (lost && !this.ended) {
      debug('writes lost: %s had %s, %s does not', lost.from, lost.lastKnownPosition, lost.to);
      this.emit('writesLost', lost);
    }
    if (!this.ended) this.hung.update(snapshot);
    if (!this.ended) this.promoter?.update(snapshot, this.lastPrimary ?? null);
  }

  /**
   * `nodeName` answers its probes again after the monitor had given it up: statements sent to it
   * before or during the outage may have been lost on the way, and their connections would wait for
   * TCP to give up. The server says which of them it is running; the others are closed. The grace
   * between the two questions is a few round trips, so an answer on its way arrives first.
   */
  private sweepDeadConnections(nodeName: string): void {
    const pool = this.pools.get(nodeName);
    const view = this.monitor.current().nodes.find((n) => n.name === nodeName);
    if (!pool || !view || this.ended) return;
    const graceMs = Math.max(DEAD_CONNECTION_GRACE_MS, 4 * (view.probeMs ?? 0));
    void this.dead.sweep(view, pool.connections(), graceMs);
  }

  /**
   * `node` failed every probe for failover.abandonAfterMs: nothing sent to it is coming back soon (a
   * frozen server keeps its connections open, and TCP keeps them for minutes). Every connection to
   * it is closed, so the statements in flight there end; new ones wait for a primary meanwhile.
   */
  private abandon(nodeName: string, downForMs: number): void {
    const pool = this.pools.get(nodeName);
    debug('abandoning %s: no probe answered for %d ms', nodeName, Math.round(downForMs));
    pool?.retire();
    this.emit('nodeAbandoned', { node: nodeName, downForMs });
  }

  /**
   * Once another node is primary (or a split brain is seen), every connection to any other node is
   * closed, checked out ones included: a write in flight on an old primary that hangs and comes back
   * must not complete there unnoticed.
   */
  /**
   * A Galera node that answers and is still in the Primary component (Synced, or a donor): a write
   * under way there commits for the whole group (a donor's once its state transfer is over), or
   * fails certification and is re-run. So when the writer moves off it (it became a donor, the node
   * that started first came back), its writes may finish there: closing them would end them as
   * outcome-unknown although they commit (all 11 did in bench:galera's rolling restart before
   * this). A node cut off from the component cannot commit, and one that stopped answering may be
   * hung: those are retired as usual.
   */
  private galeraMember(snapshot: TopologySnapshot, nodeName: string): boolean {
    const view = snapshot.nodes.find((n) => n.name === nodeName);
    return view?.healthy === true && view.galera?.clusterStatus === 'Primary';
  }

  private retireOthers(snapshot: TopologySnapshot): void {
    const keep = snapshot.primary?.name ?? null;
    // No primary and no split brain: nothing decided yet. A primary that hangs may come back as
    // the primary, so its connections stay until a successor is known.
    if (keep === null && snapshot.splitBrain === undefined) return;
    const key = keep ?? 'split-brain';
    if (key === this.retiredFor) return;
    this.retiredFor = key;
    for (const node of this.nodes) {
      if (node.name === keep || this.galeraMember(snapshot, node.name)) continue;
      const pool = this.pools.get(node.name);
      if (pool) {
        debug('retiring connections to %s (primary is now %s)', node.name, keep ?? 'undecided');
        pool.retire();
      }
    }
  }
}
