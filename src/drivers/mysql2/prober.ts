import createDebug from 'debug';
import mysql from 'mysql2';
import type { NodeAddress, NodeProbe } from '../../core/node';
import type { Row } from '../../dialects/dialect';
import { type MysqlProbeMemory, mysqlDialect } from '../../dialects/mysql';
import { closeSocket } from './connection-state';
import { hideSecrets } from './options';
import { observedStreamFactory, type StreamFactory, unref } from './sockets';

const debug = createDebug('failover-pool:probe');

/**
 * The monitor's own connections, one per node, kept open between probes (a probe is then two
 * round trips) and dropped on any failure or abort, so a hung node's socket never lingers.
 */
interface ProbeConnection {
  readonly connection: mysql.Connection;
  readonly ready: Promise<void>;
  /** What the dialect learned about the server on this connection. */
  readonly memory: MysqlProbeMemory;
}

export class MysqlProber {
  private readonly connections = new Map<string, ProbeConnection>();
  private closed = false;

  constructor(private readonly optionsFor: (node: NodeAddress) => mysql.ConnectionOptions) {}

  readonly probe = async (node: NodeAddress, signal: AbortSignal): Promise<NodeProbe> => {
    if (this.closed) throw new Error('monitor stopped');
    const probe = this.connections.get(node.name) ?? this.open(node);
    // Aborted (timed out): close the socket now, even mid-handshake, so a hung node leaves nothing.
    signal.addEventListener('abort', () => this.drop(node, probe), { once: true });
    await probe.ready;
    const run = (sql: string) =>
      new Promise<readonly Row[]>((resolve, reject) => {
        probe.connection.query(sql, (error, rows) => (error ? reject(error) : resolve(rows as Row[])));
      });
    try {
      return await mysqlDialect.probe(run, probe.memory);
    } catch (error) {
      this.drop(node, probe);
      throw error;
    }
  };

  /** Closes every probe connection, politely if the server answers within a moment. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async ({ connection, ready }) => {
        const connected = await ready.then(
          () => true,
          () => false,
        );
        if (connected) {
          const timer = setTimeout(() => closeSocket(connection), 200);
          await new Promise<void>((resolve) => connection.end(() => resolve()));
          clearTimeout(timer);
        }
        closeSocket(connection);
      }),
    );
  }

  private open(node: NodeAddress): ProbeConnection {
    const options = this.optionsFor(node);
    const connection = mysql.createConnection(
      hideSecrets(
        {
          ...options,
          // The probe's statements are the library's own; one at a time.
          multipleStatements: false,
          // A probe connection must not keep the process alive on its own (an idle pool's does not).
          stream: observedStreamFactory(unref, options.stream as StreamFactory | undefined),
        },
        options,
      ),
    );
    const ready = new Promise<void>((resolve, reject) => {
      connection.once('connect', () => resolve());
      connection.once('error', reject);
    });
    const probe: ProbeConnection = { connection, ready, memory: {} };
    this.connections.set(node.name, probe);
    // For the connection's whole life: a probe connection whose server dies must not crash the process.
    connection.on('error', (error) => {
      debug('probe connection to %s failed: %s', node.name, error.message);
      this.drop(node, probe);
    });
    // A failed connect must not stay cached: the next probe opens a new one.
    ready.catch(() => this.drop(node, probe));
    return probe;
  }

  private drop(node: NodeAddress, probe: ProbeConnection): void {
    if (this.connections.get(node.name) === probe) this.connections.delete(node.name);
    closeSocket(probe.connection);
  }
}
