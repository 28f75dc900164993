import type mysql from 'mysql2';
import type { DriverAdapter } from '../../core/driver-adapter';
import type { NodeAddress } from '../../core/node';
import type { FailureKind } from '../../core/retry';
import type { FailureContext } from '../../dialects/dialect';
import { mysqlDialect } from '../../dialects/mysql';
import { stateOf } from './connection-state';
import { MysqlNodePool, type MysqlPoolEventSink } from './node-pool';
import type { ResolvedMysqlConfig } from './options';
import { MysqlProber } from './prober';

const CONNECT_CONTEXT: FailureContext = { phase: 'connect', sent: false, notices: [], multiStatement: false };

/** Ties mysql2 to the engine: a mysql2 pool per node, a prober, and the meaning of mysql2's errors. */
export class Mysql2Adapter implements DriverAdapter<mysql.PoolConnection> {
  private readonly prober: MysqlProber;
  readonly probe: MysqlProber['probe'];

  constructor(
    private readonly config: ResolvedMysqlConfig,
    private readonly events: MysqlPoolEventSink,
  ) {
    this.prober = new MysqlProber((node) => config.perNode(node));
    this.probe = this.prober.probe;
  }

  createNodePool(node: NodeAddress): MysqlNodePool {
    return new MysqlNodePool(node, this.config.perNode(node), this.events);
  }

  classify(error: unknown, connection: mysql.PoolConnection | undefined): FailureKind {
    if (!connection) return mysqlDialect.classifyError(error, CONNECT_CONTEXT);
    const state = stateOf(connection);
    return mysqlDialect.classifyError(error, {
      phase: 'statement',
      sent: state.sent,
      notices: [],
      multiStatement: state.multiStatement,
    });
  }

  close(): Promise<void> {
    return this.prober.close();
  }
}
