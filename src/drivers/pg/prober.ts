import { Socket } from 'node:net';
import createDebug from 'debug';
import type pg from 'pg';
import type { NodeAddress, NodeProbe } from '../../core/node';
import type { Dialect, Row } from '../../dialects/dialect';
import { type ClientClass, destroySocket } from './tracked-client';

const debug = createDebug('failover-pool:probe');

/**
 * The monitor's own connections, one per node, kept open between probes (a probe is then one
 * round trip) and dropped on any failure or abort, so a hung node's socket never lingers.
 */
interface ProbeConnection {
  readonly client: pg.Client;
  readonly ready: Promise<pg.Client>;
}

export class PgProber {
  private readonly connections = new Map<string, ProbeConnection>();
  /** Per node, the first probe statement that works there (privileges and versions differ). */
  private readonly statementIndex = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly dialect: Dialect,
    private readonly clientClass: ClientClass,
    private readonly configFor: (node: NodeAddress) => pg.ClientConfig,
  ) {}

  readonly probe = async (node: NodeAddress, signal: AbortSignal): Promise<NodeProbe> => {
    if (this.closed) throw new Error('monitor stopped');
    const connection = this.connections.get(node.name) ?? this.open(node);
    // Aborted (timed out): close the socket now, even mid-connect, so a hung node leaves nothing.
    signal.addEventListener('abort', () => this.drop(node, connection), { once: true });
    const client = await connection.ready;
    for (;;) {
      const index = this.statementIndex.get(node.name) ?? 0;
      const statement = this.dialect.probeStatements[index] as string;
      try {
        const result = await client.query<Row>(statement);
        const row = result.rows[0];
        if (!row) throw new Error(`probe of ${node.name} returned no row`);
        return this.dialect.parseProbe(row);
      } catch (error) {
        if (this.dialect.isProbeUnsupported(error) && index + 1 < this.dialect.probeStatements.length) {
          debug('%s: probe statement %d not available (%s), trying a simpler one', node.name, index, error);
          this.statementIndex.set(node.name, index + 1);
          continue;
        }
        this.drop(node, connection);
        throw error;
      }
    }
  };

  /** Closes every probe connection, politely if the server answers within a moment. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async ({ client, ready }) => {
        const connected = await ready.then(
          () => true,
          () => false,
        );
        if (!connected) return destroySocket(client);
        const timer = setTimeout(() => destroySocket(client), 200);
        await client.end().catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }

  private open(node: NodeAddress): ProbeConnection {
    const client = new this.clientClass(this.configFor(node));
    // The probe connection must not keep the process alive on its own (an idle pg.Pool does not).
    const socket = client.connection.stream;
    if (socket instanceof Socket) socket.unref();
    const connection: ProbeConnection = { client, ready: client.connect().then(() => client) };
    this.connections.set(node.name, connection);
    client.on('error', (error) => {
      debug('probe connection to %s failed: %s', node.name, error.message);
      this.drop(node, connection);
    });
    // A failed connect must not stay cached: the next probe opens a new one.
    connection.ready.catch(() => this.drop(node, connection));
    return connection;
  }

  private drop(node: NodeAddress, connection: ProbeConnection): void {
    if (this.connections.get(node.name) === connection) this.connections.delete(node.name);
    destroySocket(connection.client);
  }
}
