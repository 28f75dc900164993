import createDebug from 'debug';
import { AllNodesDownError } from './all-nodes-down';
import { type Clock, sleep } from './clock';
import { ClusterMismatchError } from './errors';
import type { EmitFailoverEvent } from './events';
import type { NodeAddress, NodeProbe } from './node';
import type { ResolvedMonitorOptions } from './options';
import { ProbeTimeoutError } from './probe-timeout';
import {
  deriveTopology,
  type NodeHealth,
  structuralKey,
  type TopologyMemory,
  type TopologySnapshot,
  topologyView,
} from './topology';

const debug = createDebug('failover-pool:monitor');

/**
 * Asks one node about itself. Must give up (and drop its connection) when `signal` aborts: the
 * monitor aborts a probe that outlives `monitor.timeoutMs`.
 */
export type ProbeFn = (node: NodeAddress, signal: AbortSignal) => Promise<NodeProbe>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface NodeState extends Mutable<NodeHealth> {
  /** When a query last failed on this node; a probe must start after it to clear the suspicion. */
  suspectedAt: number;
  /** Interrupts the node's sleep so it is probed at once. */
  wake: AbortController;
  /** When the node's last finished probe (answered, failed or timed out) started. */
  lastProbeStarted: number;
  /** Probes finished (answered, failed or timed out). */
  probesDone: number;
  everAnswered: boolean;
  /** The last probe got no answer in time (the node may be hung), rather than an error. */
  timedOut: boolean;
}

/** A caller of freshSnapshot or probedAgain, and the probes it waits for. */
interface RoundWaiter {
  /** Every node's last finished probe started at this time or later... */
  readonly since: number;
  /** ...and each node (by index) has finished at least this many probes. */
  readonly probesDone: readonly number[];
  readonly resolve: (snapshot: TopologySnapshot) => void;
}

/**
 * Probes every node on its own loop (a hung node never delays the others), keeps the latest
 * immutable TopologySnapshot, and emits the cluster's events. Probes run every `intervalMs`, and
 * every `fastIntervalMs` while a failure is suspected, callers wait for a primary, or the topology
 * changed less than `settleMs` ago.
 */
export class Monitor {
  private readonly states: NodeState[];
  private snapshot: TopologySnapshot;
  private memory: TopologyMemory = { generation: 0 };
  private lastKey = '';
  private fastUntil = 0;
  private waiters = 0;
  private stopped = true;
  private stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly inFlight = new Set<AbortController>();
  private lastPrimary: string | null = null;
  private primaryLostAt: number | undefined;
  private readonly reportedMismatch = new Set<string>();
  private lastSplitBrain = '';
  /** Set while every node is down (see fatalError). */
  private allDown: AllNodesDownError | undefined;
  /** Callers of freshSnapshot() waiting for a probe round that started after their time. */
  private roundWaiters: RoundWaiter[] = [];

  constructor(
    nodes: readonly NodeAddress[],
    private readonly probe: ProbeFn,
    private readonly options: ResolvedMonitorOptions,
    private readonly clock: Clock,
    private readonly emit: EmitFailoverEvent,
    private readonly onSnapshot: (snapshot: TopologySnapshot, allDown: AllNodesDownError | undefined) => void,
  ) {
    this.states = nodes.map((address) => ({
      address,
      healthy: false,
      suspect: false,
      suspectedAt: Number.NEGATIVE_INFINITY,
      wake: new AbortController(),
      lastProbeStarted: Number.NEGATIVE_INFINITY,
      probesDone: 0,
      everAnswered: false,
      known: false,
      timedOut: false,
    }));
    this.snapshot = deriveTopology(this.states, this.memory, 0).snapshot;
  }

  current(): TopologySnapshot {
    return this.snapshot;
  }

  /**
   * The snapshot once every node has been probed by a probe that started at `since` or later
   * (answered, failed or timed out), probing fast meanwhile: a picture of the cluster that no view
   * older than `since` shaped. Bounded by the probe timeout; resolves with the latest snapshot at stop.
   */
  freshSnapshot(since: number): Promise<TopologySnapshot> {
    return this.round({ since, probesDone: this.states.map(() => 0) });
  }

  /**
   * As freshSnapshot, and each node probed again besides: the caller knows something newer than the
   * monitor's last probes (it reached a node they failed to reach), even when it all happened
   * within one tick of the clock.
   */
  probedAgain(since: number): Promise<TopologySnapshot> {
    return this.round({ since, probesDone: this.states.map((state) => state.probesDone + 1) });
  }

  private round(wanted: Omit<RoundWaiter, 'resolve'>): Promise<TopologySnapshot> {
    if (this.stopped || this.roundDone(wanted)) return Promise.resolve(this.snapshot);
    this.hurry();
    return new Promise((resolve) => this.roundWaiters.push({ ...wanted, resolve }));
  }

  private roundDone(wanted: Omit<RoundWaiter, 'resolve'>): boolean {
    return this.states.every(
      (state, i) => state.lastProbeStarted >= wanted.since && state.probesDone >= (wanted.probesDone[i] ?? 0),
    );
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = new AbortController();
    this.fastUntil = this.clock.now() + this.options.settleMs;
    this.loops = this.states.map((state) => this.loop(state));
  }

  /** Stops every loop; a probe under way is aborted, not awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const controller of this.inFlight) controller.abort();
    for (const state of this.states) state.wake.abort();
    for (const waiter of this.roundWaiters.splice(0)) waiter.resolve(this.snapshot);
    await Promise.all(this.loops);
  }

  /**
   * A query on `node` failed in a way that says the node may be gone or demoted: stop routing to it
   * until a probe that started after now says otherwise, and probe everything fast.
   */
  reportFailure(nodeName: string, error: unknown): void {
    const state = this.states.find((s) => s.address.name === nodeName);
    if (!state || this.stopped) return;
    debug('failure reported on %s: %s', nodeName, messageOf(error));
    state.suspect = true;
    state.suspectedAt = this.clock.now();
    this.update(`query failed on ${nodeName}: ${messageOf(error)}`);
    this.hurry();
  }

  /** Callers started (or stopped) waiting for a primary: probe fast while anyone waits. */
  setWaiting(count: number): void {
    const started = this.waiters === 0 && count > 0;
    this.waiters = count;
    if (started) this.hurry();
  }

  private hurry(): void {
    this.fastUntil = Math.max(this.fastUntil, this.clock.now() + this.options.settleMs);
    for (const state of this.states) {
      state.wake.abort();
    }
  }

  private async loop(state: NodeState): Promise<void> {
    while (!this.stopped) {
      await this.probeOnce(state);
      if (this.stopped) break;
      if (state.wake.signal.aborted) {
        // Woken while probing: that probe may predate the news, so probe again almost at once
        // (a few ms apart, so a storm of failure reports cannot turn into a busy loop).
        state.wake = new AbortController();
        await sleep(this.clock, Math.min(5, this.options.fastIntervalMs), this.stopping.signal);
        continue;
      }
      await sleep(this.clock, this.nextDelay(), state.wake.signal);
      if (state.wake.signal.aborted) state.wake = new AbortController();
    }
  }

  private nextDelay(): number {
    const fast = this.waiters > 0 || this.clock.now() < this.fastUntil;
    const base = fast ? this.options.fastIntervalMs : this.options.intervalMs;
    // +-10% so that many app instances do not probe in lock-step.
    return base * (0.9 + Math.random() * 0.2);
  }

  private async probeOnce(state: NodeState): Promise<void> {
    const started = this.clock.now();
    const controller = new AbortController();
    this.inFlight.add(controller);
    const cancelTimer = this.clock.setTimer(
      () => controller.abort(new ProbeTimeoutError(state.address, this.options.timeoutMs)),
      this.options.timeoutMs,
      false,
    );
    try {
      const result = await Promise.race([
        this.probe(state.address, controller.signal),
        rejectOnAbort(controller.signal),
      ]);
      if (this.stopped) return;
      this.onAnswer(state, result, started);
    } catch (error) {
      if (this.stopped) return;
      this.onProbeFailure(state, controller.signal.aborted ? controller.signal.reason : error, started);
    } finally {
      cancelTimer();
      this.inFlight.delete(controller);
    }
  }

  private onAnswer(state: NodeState, probe: NodeProbe, started: number): void {
    const wasHealthy = state.healthy;
    state.lastProbeStarted = started;
    state.probesDone++;
    state.probe = probe;
    state.healthy = true;
    state.answeredAt = this.clock.now();
    state.probeMs = state.answeredAt - started;
    state.lastError = undefined;
    if (state.suspect && started >= state.suspectedAt) state.suspect = false;
    const recovered = state.everAnswered;
    state.everAnswered = true;
    state.known = true;
    if (!wasHealthy) {
      debug('%s up as %s%s', state.address.name, probe.role, recovered ? ' (recovered)' : '');
      this.emit('nodeUp', { node: state.address.name, role: probe.role });
    }
    this.update(`${state.address.name} answered`);
  }

  private onProbeFailure(state: NodeState, error: unknown, started: number): void {
    const wasHealthy = state.healthy;
    state.lastProbeStarted = started;
    state.probesDone++;
    const firstFailure = !state.known;
    state.healthy = false;
    state.known = true;
    state.lastError = messageOf(error);
    // A probe that timed out says nothing about the configuration: the node may just be hung.
    state.timedOut = error instanceof ProbeTimeoutError;
    if (wasHealthy || firstFailure) {
      debug('%s down: %s', state.address.name, state.lastError);
      this.emit('nodeDown', { node: state.address.name, error: asError(error) });
      this.hurry();
    }
    this.update(`${state.address.name} did not answer: ${state.lastError}`);
  }

  /** Derives a new snapshot and emits what changed. */
  private update(reason: string): void {
    const derived = deriveTopology(this.states, this.memory, this.snapshot.version + 1);
    this.memory = derived.memory;
    const snapshot = derived.snapshot;
    this.snapshot = snapshot;
    this.onSnapshot(snapshot, this.everyNodeDown());
    this.resolveRoundWaiters();

    const key = structuralKey(snapshot);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.hurry();
    debug(
      'topology: primary=%s generation=%d (%s)',
      snapshot.primary?.name ?? 'none',
      snapshot.generation,
      reason,
    );

    this.emitMismatches(snapshot);
    this.emitSplitBrain(snapshot);
    this.emitPrimaryChange(snapshot, reason);
    this.emit('topology', topologyView(snapshot));
  }

  private resolveRoundWaiters(): void {
    if (this.roundWaiters.length === 0) return;
    const waiting = this.roundWaiters;
    this.roundWaiters = waiting.filter((waiter) => !this.roundDone(waiter));
    for (const waiter of waiting) if (this.roundDone(waiter)) waiter.resolve(this.snapshot);
  }

  /**
   * AllNodesDownError while every node's last probe failed with an error (refused, reset, a wrong
   * password, an answer the dialect cannot read) rather than timing out: nothing is under way that
   * waiting could see through, so callers make their own attempt instead (see FailoverEngine). The
   * same error for one whole episode, so that the router settles its callers once.
   */
  private everyNodeDown(): AllNodesDownError | undefined {
    // A node that only timed out may be hung, and come back: as pg.Pool does with a hung host, wait.
    if (this.states.some((s) => s.healthy || !s.known || s.timedOut)) {
      this.allDown = undefined;
      return undefined;
    }
    this.allDown ??= new AllNodesDownError();
    return this.allDown;
  }

  private emitPrimaryChange(snapshot: TopologySnapshot, reason: string): void {
    const now = snapshot.primary?.name ?? null;
    if (now === null) {
      if (this.lastPrimary !== null && this.primaryLostAt === undefined) {
        this.primaryLostAt = this.clock.now();
        this.emit('primaryLost', { from: this.lastPrimary, reason, topology: topologyView(snapshot) });
      }
      return;
    }
    if (now !== this.lastPrimary) {
      const detectedAfterMs =
        this.primaryLostAt === undefined ? undefined : this.clock.now() - this.primaryLostAt;
      const event = {
        from: this.lastPrimary,
        to: now,
        generation: snapshot.generation,
        topology: topologyView(snapshot),
        ...(detectedAfterMs === undefined ? {} : { detectedAfterMs }),
      };
      this.lastPrimary = now;
      this.primaryLostAt = undefined;
      this.emit('primaryChanged', event);
    } else {
      // The same primary is back (a passing suspicion): nothing changed for the app.
      this.primaryLostAt = undefined;
    }
  }

  private emitSplitBrain(snapshot: TopologySnapshot): void {
    const stale = snapshot.nodes.filter((n) => n.excluded === 'stale-primary').map((n) => n.name);
    const writable =
      snapshot.splitBrain ?? (stale.length > 0 && snapshot.primary ? [snapshot.primary.name, ...stale] : []);
    const key = JSON.stringify(writable);
    if (key === this.lastSplitBrain) return;
    this.lastSplitBrain = key;
    if (writable.length < 2) return;
    const resolvedTo = snapshot.splitBrain ? null : (snapshot.primary?.name ?? null);
    this.emit('splitBrain', { nodes: writable, resolvedTo, topology: topologyView(snapshot) });
  }

  private emitMismatches(snapshot: TopologySnapshot): void {
    for (const node of snapshot.nodes) {
      if (node.excluded !== 'cluster-mismatch' || this.reportedMismatch.has(node.name)) continue;
      this.reportedMismatch.add(node.name);
      const error = new ClusterMismatchError(snapshot.identity ?? '?', node.identity ?? '?', {
        host: node.host,
        port: node.port,
        role: node.role,
      });
      this.emit('clusterMismatch', { node: node.name, error });
    }
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
