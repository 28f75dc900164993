import createDebug from 'debug';
import type { NodeProber } from './dialect';
import type { Driver } from './driver';
import type { NodeAddress, NodeProbe } from './node';
import type { ProbeSession } from './probe-session';

const debug = createDebug('failover-pool:probe');

/** How long closing gives each probe connection to say goodbye before its socket is closed. */
const END_GRACE_MS = 200;

interface OpenSession {
  readonly session: ProbeSession;
  /** The dialect's prober for this connection: it remembers what it learned about the server. */
  readonly probe: NodeProber;
}

/**
 * The monitor's probes, the same for every driver and engine: one connection per node (opened by
 * the driver), kept between probes and dropped on any failure or abort, and the dialect's
 * statements on it.
 */
export class Prober {
  private readonly sessions = new Map<string, OpenSession>();
  private closed = false;

  constructor(private readonly driver: Pick<Driver<unknown>, 'dialect' | 'openProbeSession'>) {}

  /** Asks `node` what it is. Gives up, closing the connection, when `signal` aborts (a timeout). */
  readonly probe = async (node: NodeAddress, signal: AbortSignal): Promise<NodeProbe> => {
    if (this.closed) throw new Error('monitor stopped');
    const open = this.sessions.get(node.name) ?? this.open(node);
    // Aborted: close the socket now, even mid-connect, so a hung node leaves nothing behind.
    signal.addEventListener('abort', () => this.drop(node, open), { once: true });
    try {
      await open.session.ready;
      return await open.probe(open.session.run);
    } catch (error) {
      this.drop(node, open);
      throw error;
    }
  };

  /** Closes every probe connection, politely if the server answers within a moment. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(({ session }) => session.end(END_GRACE_MS)));
  }

  private open(node: NodeAddress): OpenSession {
    const session = this.driver.openProbeSession(node);
    const open: OpenSession = { session, probe: this.driver.dialect.createProber() };
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
    open.session.destroy();
  }
}
