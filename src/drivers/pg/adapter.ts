import type pg from 'pg';
import type { DriverAdapter } from '../../core/driver-adapter';
import type { NodeAddress } from '../../core/node';
import type { FailureKind } from '../../core/retry';
import { postgresDialect } from '../../dialects/postgres';
import { PgNodePool, type PgPoolEventSink } from './node-pool';
import { extendConfig, type ResolvedPgConfig } from './options';
import { PgProber } from './prober';
import { type ClientClass, stateOf } from './tracked-client';

/** Ties pg to the engine: a pg.Pool per node, a prober, and the meaning of pg's errors. */
export class PgAdapter implements DriverAdapter<pg.PoolClient> {
  private readonly prober: PgProber;
  /** Every node pool made so far, for pg.Pool's counters. */
  readonly nodePools: PgNodePool[] = [];
  readonly probe: PgProber['probe'];

  constructor(
    private readonly config: ResolvedPgConfig,
    private readonly clientClass: ClientClass,
    private readonly events: PgPoolEventSink,
  ) {
    this.prober = new PgProber(postgresDialect, clientClass, (node) =>
      // DBAs can tell the monitor's sessions from the app's in pg_stat_activity.
      extendConfig(config.perNode(node), { application_name: 'failover-pool monitor' }),
    );
    this.probe = this.prober.probe;
  }

  createNodePool(node: NodeAddress): PgNodePool {
    const pool = new PgNodePool(node, this.config.perNode(node), this.clientClass, this.events);
    this.nodePools.push(pool);
    return pool;
  }

  classify(error: unknown, client: pg.PoolClient | undefined): FailureKind {
    if (!client) return postgresDialect.classifyError(error, CONNECT_CONTEXT);
    const state = stateOf(client);
    return postgresDialect.classifyError(error, {
      phase: 'statement',
      sent: state.sent,
      notices: state.notices,
      multiStatement: state.multiStatement,
    });
  }

  close(): Promise<void> {
    return this.prober.close();
  }
}

const CONNECT_CONTEXT = { phase: 'connect', sent: false, notices: [], multiStatement: false } as const;
