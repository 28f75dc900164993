import createDebug from 'debug';
import type { Clock } from '../clock';
import type { HeartbeatSql } from '../dialect';
import type { Driver } from '../driver';
import { ConfigError } from '../errors';
import type { NodeAddress, NodeView } from '../node';
import type { NodeOperations } from '../node-operations';
import type { ProbeSession } from '../probe-session';
import type { ResolvedHeartbeatOptions } from './heartbeat-options';

const debug = createDebug('failover-pool:heartbeat');

/** How long an instance that did not get the lock waits before it tries again (jittered). */
const LOCK_RETRY_MS = 5_000;
/** How long closing gives the connection to say goodbye. */
const END_GRACE_MS = 200;

export interface HeartbeatHost {
  /** The primary now, if any. */
  primary(): NodeView | undefined;
  /** A connection of its own to `node`, outside the pools (the monitor's kind). */
  openSession(node: NodeAddress): ProbeSession;
}

interface Writing {
  readonly node: string;
  readonly session: ProbeSession;
}

/**
 * Writes the heartbeat of `reads.heartbeat` on the primary (the prober reads its age on each
 * replica). Of all the app instances, only the one holding the advisory lock named after the table
 * on the primary writes, so that fifty instances make one beat per interval, not fifty: the others
 * try for the lock every few seconds on a fresh connection, and one of them takes over within that
 * time when the writer's connection ends (the server releases its lock). After a failover the lock
 * is taken on the new primary. A beat that fails or hangs (longer than `timeoutMs`) drops the
 * connection; writing starts again from the lock on the next turn. Galera has no replicas to
 * measure: nothing is written there.
 */
export class HeartbeatWriter {
  private writing: Writing | undefined;
  private stopped = false;
  private retryAt = 0;
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly host: HeartbeatHost,
    private readonly sql: HeartbeatSql,
    private readonly operations: NodeOperations,
    private readonly options: ResolvedHeartbeatOptions,
    private readonly clock: Clock,
    /** The monitor's probe timeout: a beat taking longer is given up with its connection. */
    private readonly timeoutMs: number,
  ) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    const writing = this.writing;
    this.writing = undefined;
    await writing?.session.end(END_GRACE_MS);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancelTimer = this.clock.setTimer(() => this.turn(), this.options.intervalMs, false);
  }

  /** One beat; the next turn is scheduled when this one is over, so turns never overlap. */
  private turn(): void {
    this.beat()
      .catch((error: unknown) => {
        debug('heartbeat on %s failed: %s', this.writing?.node, (error as Error).message);
        this.drop();
        this.retryAt = this.clock.now() + this.options.intervalMs * 10;
      })
      .finally(() => this.schedule());
  }

  private async beat(): Promise<void> {
    const primary = this.host.primary();
    if (!primary || primary.galera) return this.drop();
    if (this.writing && this.writing.node !== primary.name) this.drop();
    if (!this.writing) {
      if (this.clock.now() < this.retryAt) return;
      if (!(await this.takeLock(primary))) return;
    }
    const writing = this.writing as Writing | undefined;
    if (writing) await this.bounded(writing, this.sql.beat(this.options.table));
  }

  /** Opens a connection to the primary and tries for the lock; keeps the connection only if it got it. */
  private async takeLock(primary: NodeView): Promise<boolean> {
    const session = this.host.openSession(primary);
    const writing = { node: primary.name, session };
    this.writing = writing;
    await this.bounded(writing, undefined);
    const locked = await this.operations.tryLock(
      (sql, values) => this.bounded(writing, sql, values),
      `failover-pool:heartbeat:${this.options.table}`,
    );
    if (!locked) {
      this.drop();
      // Jittered, so that the instances that lost do not all come back at once.
      this.retryAt = this.clock.now() + LOCK_RETRY_MS * (0.5 + Math.random());
      return false;
    }
    debug('writing the heartbeat on %s', primary.name);
    await this.bounded(writing, this.sql.create(this.options.table));
    return true;
  }

  /**
   * Runs `sql` on the writing connection (or only waits for it to be ready), destroying the
   * connection if it takes longer than `timeoutMs`: a hung primary must not hold the writer.
   */
  private bounded(writing: Writing, sql: string | undefined, values?: readonly unknown[]) {
    const cancel = this.clock.setTimer(() => writing.session.destroy(), this.timeoutMs, false);
    const work = writing.session.ready.then(() =>
      sql === undefined ? [] : writing.session.run(sql, values),
    );
    return work.finally(cancel);
  }

  private drop(): void {
    const writing = this.writing;
    this.writing = undefined;
    writing?.session.destroy();
  }
}

/**
 * The heartbeat writer `reads.heartbeat` asks for, or undefined when it is off. An engine that
 * measures replicas without one (PostgreSQL) refuses the option: a table written for nothing would
 * only cost the primary writes.
 */
export function heartbeatWriterFor(
  options: ResolvedHeartbeatOptions | undefined,
  driver: Pick<Driver<unknown>, 'dialect' | 'openProbeSession'>,
  host: Pick<HeartbeatHost, 'primary'>,
  clock: Clock,
  timeoutMs: number,
): HeartbeatWriter | undefined {
  if (!options) return undefined;
  const { dialect } = driver;
  if (!dialect.heartbeat) {
    throw new ConfigError(
      'reads.heartbeat',
      `${dialect.name === 'postgres' ? 'PostgreSQL' : dialect.name} measures a replica's staleness in milliseconds without a heartbeat (replay positions and timestamps); remove reads.heartbeat.`,
    );
  }
  return new HeartbeatWriter(
    { primary: host.primary, openSession: (node) => driver.openProbeSession(node) },
    dialect.heartbeat,
    dialect.operations,
    options,
    clock,
    timeoutMs,
  );
}
