import createDebug from 'debug';
import type { Clock } from '../clock';
import type { Driver } from '../driver';
import { ConfigError } from '../errors';
import type { EmitFailoverEvent, PromotedEvent, PromotionSkippedEvent } from '../events';
import { parseHosts } from '../hosts';
import type { NodeAddress } from '../node';
import type { Durability, ReplicationSource } from '../node-operations';
import type { ProbeSession } from '../probe-session';
import type { TopologySnapshot } from '../topology';
import { type Agreement, type LockSession, takeMajority } from './agreement';
import { chooseCandidate, type PromotionCandidate } from './candidate';
import type { ResolvedPromotionOptions } from './options';
import { type Behind, PrimaryTrail } from './primary-trail';
import { promotionVerdict } from './verdict';

const debug = createDebug('failover-pool:promotion');

/** A contender that lost the locks tries again after this long, plus up to as much again (jitter). */
const RETRY_AFTER_LOSS_MS = 250;
/** After an attempt failed (sessions refused on a majority, a step that failed), the next waits this long. */
const FAILURE_RETRY_MS = 1_000;
/**
 * A replica that receives nothing this long while a primary is known is pointed at it (rule 5).
 * Longer than a replica takes to reconnect after a switchover or a repoint (PostgreSQL retries its
 * WAL receiver every `wal_retrieve_retry_interval`, 5 s by default).
 */
const REPAIR_AFTER_MS = 10_000;
/**
 * A promoter's session is closed this long after twice `promotion.promoteTimeoutMs` (the wait for
 * the replicas to apply what they received, then the wait for the promotion), whatever it waits for.
 */
const WATCHDOG_SLACK_MS = 5_000;
/** How often the primary's durability settings are read again (a change made while it runs). */
const DURABILITY_REFRESH_MS = 60_000;
/** How long a session of the promoter may take to say goodbye. */
const CLOSE_GRACE_MS = 200;

/**
 * Promotion by the library (docs/promotion.md), one per pool with `promotion.enabled`. It reads
 * every snapshot of the monitor; when the verdict says the primary is gone for everyone
 * (verdict.ts), it takes the advisory lock on a strict majority of all nodes (agreement.ts), checks
 * again that no node became writable, chooses the most advanced replica (candidate.ts), promotes it
 * and points the other replicas at it. A former primary that comes back writable is fenced. Every
 * step reads the nodes, so an instance that finds the work half done does the rest.
 */
export class Promoter {
  /** Since when each healthy replica has received nothing while a primary was known (rule 5). */
  private readonly stranded = new Map<string, number>();
  /** When each node that the monitor gives up on was first seen so. */
  private readonly downSince = new Map<string, number>();
  private busy = false;
  /** The primary of the last snapshot that had one. */
  private seenPrimary: string | undefined;
  private cooldownUntil = Number.NEGATIVE_INFINITY;
  private retryAfter = Number.NEGATIVE_INFINITY;
  /** The last skip reported, so that one episode reports it once. */
  private lastSkip: string | undefined;
  private readonly fencing = new Set<string>();
  /** Fenced by this instance and not yet seen read-only by the monitor: not fenced again meanwhile. */
  private readonly fenced = new Set<string>();
  /** The promoter's sessions now open, with the cancel of each one's watchdog. */
  private readonly live = new Map<ProbeSession, () => void>();
  private ended = false;
  /** The attempt under way, which `stop` waits for. */
  private attempting: Promise<void> = Promise.resolve();
  /** A later look at the last snapshot: the monitor publishes one only when something changes. */
  private recheck: (() => void) | undefined;

  /** The positions the current primary reported: what a candidate is measured against (rule 3). */
  private readonly trail: PrimaryTrail;
  /** How each primary seen made its commits durable, to carry it over to the one promoted (rule 4). */
  private readonly durabilities = new Map<string, { durability: Durability; readAt: number }>();
  private readingDurability = false;

  /** How the replicas reach each node (promotion.replicationHosts; default: the app's address). */
  private readonly replicationAddresses: ReadonlyMap<string, ReplicationSource>;

  constructor(
    private readonly nodes: readonly NodeAddress[],
    private readonly driver: Pick<Driver<unknown>, 'dialect' | 'openProbeSession'>,
    private readonly options: ResolvedPromotionOptions,
    private readonly clock: Clock,
    private readonly emit: EmitFailoverEvent,
  ) {
    this.replicationAddresses = replicationAddresses(
      nodes,
      options.replicationHosts,
      driver.dialect.defaultPort,
    );
    this.trail = new PrimaryTrail(options.maxBehindMs + DURABILITY_REFRESH_MS);
  }

  /** A new snapshot of the monitor; `lastPrimary`: the node this pool last saw as the primary. */
  update(snapshot: TopologySnapshot, lastPrimary: string | null): void {
    if (this.ended) return;
    const now = this.clock.now();
    for (const node of snapshot.nodes) {
      if (node.healthy) this.downSince.delete(node.name);
      else if (!this.downSince.has(node.name)) this.downSince.set(node.name, now);
      if (node.excluded === 'stale-primary' && node.healthy && node.writable) this.fence(node.name);
      // A node fenced is fenced once: probes taken before the fence took effect still say writable.
      else if (node.healthy && !node.writable) this.fenced.delete(node.name);
    }
    this.recheck?.();
    this.recheck = undefined;
    if (snapshot.primary) {
      const { name, position } = snapshot.primary;
      // Rule 7: a new primary, promoted here or by anyone else, starts the cool-down.
      if (this.seenPrimary !== undefined && name !== this.seenPrimary) {
        this.cooldownUntil = Math.max(this.cooldownUntil, now + this.options.cooldownMs);
      }
      this.seenPrimary = name;
      if (position !== undefined) this.trail.record(name, position, now);
      this.learnDurability(name, now);
      this.lastSkip = undefined;
      this.repairStranded(snapshot, snapshot.primary.name, now);
      return;
    }
    this.stranded.clear();
    if (this.busy) return;
    if (now < this.retryAfter) {
      this.lookAgain(snapshot, lastPrimary, this.retryAfter - now);
      return;
    }
    const since = lastPrimary === null ? undefined : this.downSince.get(lastPrimary);
    if (since !== undefined && now - since < this.options.detectAfterMs) {
      this.lookAgain(snapshot, lastPrimary, since + this.options.detectAfterMs - now);
    }
    const verdict = promotionVerdict({
      snapshot,
      lastPrimary,
      primaryDownForMs: since === undefined ? undefined : now - since,
      detectAfterMs: this.options.detectAfterMs,
      coolingDown: now < this.cooldownUntil,
    });
    if (verdict.act === 'skip') this.skipped(verdict.reason, lastPrimary);
    if (verdict.act !== 'promote') return;
    this.busy = true;
    this.attempting = this.attempt(verdict.lost, verdict.replicas, verdict.reachable)
      .catch((error: unknown) => {
        this.retryAfter = this.clock.now() + FAILURE_RETRY_MS;
        this.skipped('failed', verdict.lost, error);
      })
      .finally(() => {
        this.busy = false;
        // Whatever the outcome, the next try waits: the monitor may not have seen its effect yet.
        const now = this.clock.now();
        if (this.retryAfter < now) this.retryAfter = now + RETRY_AFTER_LOSS_MS * (1 + Math.random());
        // Lost the locks, or failed: the next look decides again.
        if (!this.ended)
          this.lookAgain(snapshot, lastPrimary, Math.max(0, this.retryAfter - this.clock.now()));
      });
  }

  /**
   * Rule 5: a promotion another instance left half done (it died after promoting, before pointing
   * the other replicas at the new primary) is finished here. A healthy replica that has received
   * nothing for REPAIR_AFTER_MS while a primary is known is pointed at it, under the same majority
   * of advisory locks as a promotion. Repointing a replica that already follows the primary is
   * harmless, so a slow reconnect costs at most one needless reload.
   */
  private repairStranded(snapshot: TopologySnapshot, primary: string, now: number): void {
    const lost = snapshot.nodes.filter(
      (node) =>
        node.healthy && node.role === 'replica' && !node.excluded && node.replication?.receiving === false,
    );
    for (const name of [...this.stranded.keys()]) {
      if (!lost.some((node) => node.name === name)) this.stranded.delete(name);
    }
    for (const node of lost) if (!this.stranded.has(node.name)) this.stranded.set(node.name, now);
    const due = [...this.stranded]
      .filter(([, since]) => now - since >= REPAIR_AFTER_MS)
      .map(([name]) => name);
    if (lost.length > 0 && due.length < lost.length) {
      const next = Math.min(...[...this.stranded.values()]) + REPAIR_AFTER_MS - now;
      this.lookAgain(snapshot, primary, Math.max(0, next));
    }
    if (due.length === 0 || this.busy || now < this.retryAfter) {
      if (due.length > 0 && !this.busy) this.lookAgain(snapshot, primary, this.retryAfter - now);
      return;
    }
    this.busy = true;
    const healthy = snapshot.nodes.filter((node) => node.healthy).map((node) => node.name);
    this.attempting = this.repoint(primary, due, healthy)
      .catch((error: unknown) => debug('could not repoint %s: %s', due.join(', '), (error as Error).message))
      .finally(() => {
        this.busy = false;
        this.retryAfter = this.clock.now() + FAILURE_RETRY_MS;
        for (const name of due) this.stranded.delete(name);
      });
  }

  private async repoint(
    primary: string,
    replicas: readonly string[],
    reachable: readonly string[],
  ): Promise<void> {
    const { sessions } = await this.openSessions(reachable);
    let agreement: Agreement | undefined;
    try {
      const { operations } = this.driver.dialect;
      agreement = await takeMajority(sessions, this.nodes.length, operations, this.options.lockName);
      if (!agreement.agreed) return;
      const address = this.replicationAddresses.get(primary) as ReplicationSource;
      for (const session of sessions) {
        if (!replicas.includes(session.node)) continue;
        await operations.repoint(session.run, address, this.durabilities.get(primary)?.durability);
        this.emit('repointed', { node: session.node, to: primary });
      }
    } finally {
      await agreement?.release();
      await Promise.all(sessions.map((session) => this.close(session.probe)));
    }
  }

  /** Stops looking; resolves once an attempt under way has ended and closed its sessions. */
  async stop(): Promise<void> {
    this.ended = true;
    this.recheck?.();
    this.recheck = undefined;
    // An attempt under way ends at once: its statements fail with their sessions.
    for (const probe of [...this.live.keys()]) {
      this.forget(probe);
      probe.destroy();
    }
    await this.attempting;
  }

  private lookAgain(snapshot: TopologySnapshot, lastPrimary: string | null, afterMs: number): void {
    this.recheck?.();
    this.recheck = this.clock.setTimer(
      () => {
        this.recheck = undefined;
        this.update(snapshot, lastPrimary);
      },
      afterMs + 1,
      false,
    );
  }

  /**
   * Locks on every node reachable (a fenced former primary's lock counts towards the majority too),
   * chooses among `replicas` only.
   */
  private async attempt(
    lost: string,
    replicas: readonly string[],
    reachable: readonly string[],
  ): Promise<void> {
    const started = this.clock.now();
    const { sessions, errors } = await this.openSessions(reachable);
    let agreement: Agreement | undefined;
    try {
      if (sessions.length <= this.nodes.length / 2) {
        // The promoter's account cannot log in on enough nodes (privileges, password): say why.
        this.retryAfter = this.clock.now() + FAILURE_RETRY_MS;
        this.skipped('failed', lost, errors[0]);
        return;
      }
      const { operations } = this.driver.dialect;
      agreement = await takeMajority(sessions, this.nodes.length, operations, this.options.lockName);
      if (!agreement.agreed) {
        // Another instance holds the locks (or they split): follow whoever wins, try again later.
        this.retryAfter = this.clock.now() + RETRY_AFTER_LOSS_MS * (1 + Math.random());
        this.skipped('another-instance-promotes', lost);
        return;
      }
      const held = new Set(agreement.held);
      const locked = sessions.filter((session) => held.has(session.node));
      const mine = locked.filter((session) => replicas.includes(session.node));
      this.emit('promotionStarted', { from: lost, replicas: mine.map((s) => s.node) });
      // Rule 2: with the locks held, nothing may have become writable meanwhile.
      const prober = this.driver.dialect.createProber();
      for (const session of locked) {
        if ((await prober(session.run)).writable) {
          this.skipped('primary-appeared', lost);
          return;
        }
      }
      // Rule 3: what each replica received is applied before positions are compared (a promotion
      // discards what its candidate received and did not apply: on MariaDB, its relay log).
      const positions = await Promise.all(
        mine.map(async (session) => {
          const received = await operations.receivedPosition(session.run);
          if (received !== undefined) {
            const applied = await operations.waitForPosition(
              session.run,
              received,
              this.options.promoteTimeoutMs,
            );
            if (!applied) debug('%s did not apply what it received (%s) in time', session.node, received);
          }
          return { node: session.node, position: await operations.currentPosition(session.run) };
        }),
      );
      const compare = this.driver.dialect.comparePositions;
      const choice = chooseCandidate(positions, compare);
      if (!choice.chosen) {
        this.skipped(choice.reason, lost);
        return;
      }
      const behind = this.trail.behind(lost, choice.chosen.position, compare);
      if (behind && behind.behindMs > this.options.maxBehindMs) {
        this.retryAfter = this.clock.now() + FAILURE_RETRY_MS;
        this.skipped(
          'candidate-behind',
          lost,
          new Error(
            `The most advanced replica, ${choice.chosen.node} at ${choice.chosen.position}, lacks ${behind.behindMs} ms of ` +
              `writes of ${lost} (last seen at ${behind.primaryPosition}); promotion.maxBehindMs is ` +
              `${this.options.maxBehindMs}. Start ${lost} again, or promote by hand accepting the loss.`,
          ),
        );
        return;
      }
      await this.promote(choice.chosen, mine, lost, positions, started, behind);
    } finally {
      await agreement?.release();
      await Promise.all(sessions.map((session) => this.close(session.probe)));
    }
  }

  private async promote(
    chosen: PromotionCandidate,
    sessions: readonly OpenSession[],
    lost: string,
    positions: readonly PromotionCandidate[],
    started: number,
    behind: Behind | undefined,
  ): Promise<void> {
    const { operations } = this.driver.dialect;
    const target = sessions.find((session) => session.node === chosen.node) as OpenSession;
    const others = sessions.filter((session) => session.node !== chosen.node);
    const durability = this.durabilities.get(lost)?.durability;
    // Rule 4: where the old primary waited for a replica, the new one does from its first commit on
    // (a standby ignores the setting until promoted), provided a replica is left to confirm.
    const carried = durability?.synchronous === true && others.length > 0 ? durability : undefined;
    let carryError: unknown;
    if (carried) {
      carryError = await operations.applyDurability(target.run, carried, others.length).then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    debug('promoting %s (was %s)', chosen.node, lost);
    await operations.promote(target.run, { timeoutMs: this.options.promoteTimeoutMs });
    this.cooldownUntil = this.clock.now() + this.options.cooldownMs;
    const address = this.replicationAddresses.get(chosen.node) as ReplicationSource;
    const notRepointed: string[] = [];
    for (const session of others) {
      try {
        await operations.repoint(session.run, address, carried);
      } catch (error) {
        debug('could not repoint %s: %s', session.node, (error as Error).message);
        notRepointed.push(session.node);
      }
    }
    const synchronous = await this.confirmDurability(
      target,
      durability,
      others.length - notRepointed.length,
      carryError,
    );
    this.lastSkip = undefined;
    this.emit('promoted', {
      node: chosen.node,
      from: lost,
      tookMs: Math.round(this.clock.now() - started),
      position: chosen.position,
      positions: Object.fromEntries(positions.map((p) => [p.node, p.position])),
      notRepointed,
      ...(behind ? { behindMs: behind.behindMs, primaryPosition: behind.primaryPosition } : {}),
      ...synchronous,
    });
  }

  /**
   * After the repointing: a new primary made to wait for replicas keeps waiting only if one of the
   * `repointed` confirms its commits within `promotion.promoteTimeoutMs`; otherwise it is made
   * asynchronous again rather than left waiting forever (PostgreSQL has no time limit).
   */
  private async confirmDurability(
    target: OpenSession,
    durability: Durability | undefined,
    repointed: number,
    carryError: unknown,
  ): Promise<Pick<PromotedEvent, 'synchronous' | 'synchronousError'>> {
    if (!durability) return { synchronous: 'unknown' };
    if (!durability.synchronous) return { synchronous: 'asynchronous' };
    if (carryError !== undefined) {
      debug('could not make %s synchronous: %s', target.node, (carryError as Error).message);
      return { synchronous: 'failed', synchronousError: (carryError as Error).message };
    }
    const { operations } = this.driver.dialect;
    try {
      if (repointed > 0) {
        // Fewer replicas follow than planned: never ask for more confirmations than they can give.
        await operations.applyDurability(target.run, durability, repointed);
        if (await operations.confirmsSynchronous(target.run, this.options.promoteTimeoutMs)) {
          this.durabilities.set(target.node, { durability, readAt: this.clock.now() });
          return { synchronous: 'carried' };
        }
      }
      await operations.applyDurability(target.run, { synchronous: false }, 0);
      return { synchronous: 'no-replica-left' };
    } catch (error) {
      debug('could not settle the durability of %s: %s', target.node, (error as Error).message);
      return { synchronous: 'failed', synchronousError: (error as Error).message };
    }
  }

  /** Reads how `primary` makes commits durable, once per primary and again every DURABILITY_REFRESH_MS. */
  private learnDurability(primary: string, now: number): void {
    const known = this.durabilities.get(primary);
    if (this.readingDurability || (known && now - known.readAt < DURABILITY_REFRESH_MS)) return;
    this.readingDurability = true;
    this.openSessions([primary])
      .then(async ({ sessions: [session] }) => {
        if (!session) return;
        try {
          const durability = await this.driver.dialect.operations.readDurability(session.run);
          this.durabilities.set(primary, { durability, readAt: this.clock.now() });
        } finally {
          await this.close(session.probe);
        }
      })
      .catch((error: unknown) =>
        debug('could not read the durability of %s: %s', primary, (error as Error).message),
      )
      .finally(() => {
        this.readingDurability = false;
      });
  }

  /** Rule 6: a former primary back and writable is made read-only for every client. */
  private fence(node: string): void {
    if (this.fencing.has(node) || this.fenced.has(node)) return;
    this.fencing.add(node);
    debug('fencing %s', node);
    this.openSessions([node])
      .then(async ({ sessions: [session] }) => {
        if (!session) return;
        try {
          await this.driver.dialect.operations.fence(session.run);
          this.fenced.add(node);
          this.emit('fenced', { node });
        } finally {
          await this.close(session.probe);
        }
      })
      .catch((error: unknown) => debug('could not fence %s: %s', node, (error as Error).message))
      .finally(() => this.fencing.delete(node));
  }

  /** Sessions as the promoter's account on `names`; a node that does not let it in is left out. */
  private async openSessions(
    names: readonly string[],
  ): Promise<{ sessions: OpenSession[]; errors: unknown[] }> {
    const errors: unknown[] = [];
    const given = this.options.account;
    const account = given && { user: given.user, purpose: 'promoter' };
    if (account && given?.password !== undefined) {
      Object.defineProperty(account, 'password', { value: given.password, enumerable: false });
    }
    const opened = await Promise.all(
      names.map(async (name): Promise<OpenSession | undefined> => {
        const node = this.nodes.find((n) => n.name === name);
        if (!node) return undefined;
        const probe = this.driver.openProbeSession(node, account);
        // A node that freezes mid-attempt must not hold the promoter (and the pool's end) forever:
        // past the watchdog its session is closed, and the statement waiting on it fails.
        this.live.set(
          probe,
          this.clock.setTimer(
            () => probe.destroy(),
            2 * this.options.promoteTimeoutMs + WATCHDOG_SLACK_MS,
            false,
          ),
        );
        try {
          await probe.ready;
          return { node: name, run: probe.run, probe };
        } catch (error) {
          debug('promoter session to %s failed: %s', name, (error as Error).message);
          errors.push(error);
          this.forget(probe);
          probe.destroy();
          return undefined;
        }
      }),
    );
    return { sessions: opened.filter((session): session is OpenSession => session !== undefined), errors };
  }

  /** Says goodbye to a session of the promoter (closed at once if the node does not answer). */
  private async close(probe: ProbeSession): Promise<void> {
    this.forget(probe);
    await probe.end(CLOSE_GRACE_MS);
  }

  private forget(probe: ProbeSession): void {
    this.live.get(probe)?.();
    this.live.delete(probe);
  }

  private skipped(reason: PromotionSkippedEvent['reason'], from: string | null, error?: unknown): void {
    // One report per episode and cause: an attempt retried every second must not flood the app.
    const key = error === undefined ? reason : `${reason}: ${(error as Error).message}`;
    if (key === this.lastSkip) return;
    this.lastSkip = key;
    debug('not promoting: %s%s', reason, error === undefined ? '' : ` (${(error as Error).message})`);
    this.emit('promotionSkipped', error === undefined ? { reason, from } : { reason, from, error });
  }
}

interface OpenSession extends LockSession {
  readonly probe: ProbeSession;
}

/**
 * Each node's replication address: from `given` (keyed by the node as listed), else the app's. A
 * key that names no listed node is a mistake the app should hear of at once.
 */
function replicationAddresses(
  nodes: readonly NodeAddress[],
  given: Readonly<Record<string, string>>,
  defaultPort: number,
): Map<string, ReplicationSource> {
  const addresses = new Map<string, ReplicationSource>(
    nodes.map((node) => [node.name, { host: node.host, port: node.port }]),
  );
  for (const [listed, reachedAt] of Object.entries(given)) {
    const option = `promotion.replicationHosts['${listed}']`;
    const [key] = parseHosts([listed], defaultPort, option);
    const node = nodes.find((n) => n.name === key?.name);
    if (!node) {
      throw new ConfigError(
        option,
        `${listed} is not one of the listed hosts (${nodes.map((n) => n.name).join(', ')}); key each entry by a node as \`hosts\` lists it.`,
      );
    }
    const [address] = parseHosts([reachedAt], node.port, option);
    if (address) addresses.set(node.name, { host: address.host, port: address.port });
  }
  return addresses;
}
