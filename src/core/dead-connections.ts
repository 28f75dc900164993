import createDebug from 'debug';
import { type Clock, sleep } from './clock';
import type { Driver } from './driver';
import type { NodeAddress } from './node';

const debug = createDebug('failover-pool:engine');

/** A connection whose statement was waiting for its answer when the sweep began. */
interface Waiting<Connection> {
  readonly connection: Connection;
  readonly sessionId: number;
  /** Which statement (ConnectionState.statements): a later one is not the one that waited. */
  readonly statement: number;
}

/**
 * Finds the connections to a node that are dead while the node itself is fine, and closes them.
 *
 * When the network to a node goes dark for a while (a partition, a NAT or firewall that drops the
 * connection's state, a proxy that restarts) and then comes back, the statements that were on
 * their way may never be answered: their bytes were lost, the server never got them (or its answer
 * never arrived), and the connection stays open on the client for as long as TCP keeps it. Their
 * node answers its probes again, so nothing else would end them. After such an outage the pool asks
 * the server, on a connection of its own, which of the sessions whose statement still waits are
 * running one. A session that runs nothing, twice, `graceMs` apart (an answer on its way has
 * arrived by then), or that the server does not know, is dead: its connection is closed, and its
 * statement ends as after any lost connection (a write: outcome unknown; the server may have run it).
 * A statement the server is still running is never touched, however long it runs.
 */
export class DeadConnections<Connection> {
  /** Connections closed here, for the error their statement gets. */
  private readonly closed = new WeakSet<object>();

  constructor(
    private readonly driver: Driver<Connection>,
    private readonly clock: Clock,
    /** Bounds the connect and the statement of each question to the server. */
    private readonly timeoutMs: number,
  ) {}

  /** Whether `connection` was closed by a sweep. */
  closedBySweep(connection: Connection): boolean {
    return typeof connection === 'object' && connection !== null && this.closed.has(connection);
  }

  /**
   * Checks the connections of `node` among `connections` whose statement waits; resolves with how
   * many were found dead and closed. Never rejects: a server that cannot be asked closes nothing.
   */
  async sweep(node: NodeAddress, connections: Iterable<Connection>, graceMs: number): Promise<number> {
    let suspects = this.waiting(connections);
    for (const round of [1, 2]) {
      if (suspects.length === 0) return 0;
      if (round === 2) await sleep(this.clock, graceMs);
      const running = await this.runningSessions(
        node,
        suspects.map((s) => s.sessionId),
      );
      if (running === undefined) return 0;
      suspects = suspects.filter((s) => !running.has(s.sessionId) && this.stillWaiting(s));
    }
    for (const { connection } of suspects) {
      if (typeof connection === 'object' && connection !== null) this.closed.add(connection);
      this.driver.destroy(connection);
    }
    if (suspects.length > 0) {
      debug(
        'closed %d connections to %s whose statements the server was not running',
        suspects.length,
        node.name,
      );
    }
    return suspects.length;
  }

  private waiting(connections: Iterable<Connection>): Waiting<Connection>[] {
    const found: Waiting<Connection>[] = [];
    for (const connection of connections) {
      const state = this.driver.stateOf(connection);
      const sessionId = this.driver.sessionIdOf(connection);
      if (!state.pending || !state.alive || sessionId === undefined) continue;
      found.push({ connection, sessionId, statement: state.statements });
    }
    return found;
  }

  private stillWaiting(suspect: Waiting<Connection>): boolean {
    const state = this.driver.stateOf(suspect.connection);
    return state.pending && state.alive && state.statements === suspect.statement;
  }

  /** The sessions among `ids` the server runs a statement for, asked on a new connection; undefined if it cannot be asked. */
  private async runningSessions(node: NodeAddress, ids: number[]): Promise<Set<number> | undefined> {
    const session = this.driver.openProbeSession(node);
    let cancel = (): void => undefined;
    // Bounded whatever the driver does with a destroyed session's pending connect.
    const timedOut = new Promise<never>((_, reject) => {
      cancel = this.clock.setTimer(
        () => {
          session.destroy();
          reject(new Error(`no answer within ${this.timeoutMs} ms (monitor.timeoutMs)`));
        },
        this.timeoutMs,
        false,
      );
    });
    try {
      const rows = await Promise.race([
        session.ready.then(() => session.run(this.driver.dialect.runningSessionsSql(ids))),
        timedOut,
      ]);
      return new Set(rows.map((row) => Number(row.id)));
    } catch (error) {
      debug('could not ask %s which sessions run: %s', node.name, (error as Error).message);
      return undefined;
    } finally {
      cancel();
      void session.end(0).catch(() => undefined);
    }
  }
}
