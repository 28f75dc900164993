import createDebug from 'debug';
import type { NodeProber, ProberOptions, RunSql } from './dialect';
import type { Driver } from './driver';
import type { NodeAddress, NodeProbe } from './node';
import { ProbeAnswerError } from './probe-answer';
import type { ProbeSession } from './probe-session';

const debug = createDebug('failover-pool:probe');

/** How long closing gives each probe connection to say goodbye before its socket is closed. */
const END_GRACE_MS = 200;

interface OpenSession {
  readonly session: ProbeSession;
  /** The dialect's prober for this connection: it remembers what it learned about the server. */
  readonly probe: NodeProber;
  /** A probe is under way on it. */
  running: boolean;
  /** Replaced by a new connection (see `renew`): closed once its probe is done. */
  renewed: boolean;
  destroyed: boolean;
}

/**
 * The monitor's probes, the same for every driver and engine: one connection per node (opened by
 * the driver), kept between probes and dropped on any failure or abort, and the dialect's
 * statements on it.
 */
export class Prober {
  private readonly sessions = new Map<string, OpenSession>();
  private closed = false;

  constructor(
    private readonly driver: Pick<Driver<unknown>, 'dialect' | 'openProbeSession'>,
    private readonly options?: ProberOptions,
  ) {}

  /** Asks `node` what it is. Gives up, closing the connection, when `signal` aborts (a timeout). */
  readonly probe = async (node: NodeAddress, signal: AbortSignal): Promise<NodeProbe> => {
    if (this.closed) throw new Error('monitor stopped');
    const open = this.sessions.get(node.name) ?? this.open(node);
    // Aborted: close the socket now, even mid-connect, so a hung node leaves nothing behind.
    signal.addEventListener('abort', () => this.drop(node, open), { once: true });
    let serverError: unknown;
    open.running = true;
    const run: RunSql = (sql, values) =>
      open.session.run(sql, values).catch((error: unknown) => {
        serverError = error;
        throw error;
      });
    try {
      await open.session.ready;
      return await open.probe(run);
    } catch (error) {
      this.drop(node, open);
      // A TypeError and its kin, not from the driver, is the dialect failing to read the answer: a
      // server of another kind, or one that answers every statement alike. Say so, naming the node.
      if (error !== serverError && isReadingError(error)) throw new ProbeAnswerError(node, error);
      throw error;
    } finally {
      open.running = false;
      if (open.renewed && !open.destroyed) void open.session.end(END_GRACE_MS);
    }
  };

  /**
   * The next probe of `nodeName` opens a new connection; the current one is closed once its probe,
   * if one runs, is done. For a failure that may be the whole server's or one session's: the server
   * ended a session (PostgreSQL 57P01, MySQL's KILL). A server shutting down ends every session
   * and refuses new connections, so a new connection tells it from an operator's kill of one
   * session; a kept probe connection could still answer before its own turn to be ended.
   */
  renew(nodeName: string): void {
    const open = this.sessions.get(nodeName);
    if (!open) return;
    this.sessions.delete(nodeName);
    open.renewed = true;
    if (!open.running) void open.session.end(END_GRACE_MS);
  }

  /** Closes every probe connection, politely if the server answers within a moment. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(({ session }) => session.end(END_GRACE_MS)));
  }

  private open(node: NodeAddress): OpenSession {
    const session = this.driver.openProbeSession(node);
    const open: OpenSession = {
      session,
      probe: this.driver.dialect.createProber(this.options),
      running: false,
      renewed: false,
      destroyed: false,
    };
    this.sessions.set(node.name, open);
    session.onFailure((error) => {
      debug('probe connection to %s failed: %s', node.name, error.message);
      this.drop(node, open);
    });
    // A failed connect must not stay cached: the next probe opens a new one.
    session.ready.catch(() => this.drop(node, open));
    return open;
  }

  private drop(node: NodeAddress, open: OpenSession): void {
    if (this.sessions.get(node.name) === open) this.sessions.delete(node.name);
    open.destroyed = true;
    open.session.destroy();
  }
}

function isReadingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
}
