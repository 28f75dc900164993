import { Socket } from 'node:net';
import type pg from 'pg';
import type { ConnectionState } from '../../core/connection-state';
import type { Driver, SessionAccount, StatementResult } from '../../core/driver';
import { PoolEndedError } from '../../core/errors';
import type { NodeAddress } from '../../core/node';
import type { ResolvedPoolConfig } from '../../core/pool-core';
import type { ProbeSession } from '../../core/probe-session';
import { postgresDialect } from '../../dialects/postgres/dialect';
import { sessionWritableFromParameters } from '../../dialects/postgres/session';
import { type ClientClass, connectClient, destroySocket, trackingOf } from './client-class';
import { PgNodePool, type PgPoolEventSink } from './node-pool';
import { extendConfig, withAccount } from './options';
import { runStatement } from './statement';

/** pg.Pool's own words for a pool that was ended. */
export const ENDED = 'Cannot use a pool after calling end on the pool';

/** Ties pg to the engine: a pg.Pool per node, the monitor's clients, what a pg client knows. */
export class PgDriver implements Driver<pg.PoolClient> {
  readonly dialect = postgresDialect;
  /** Every node pool made so far, for pg.Pool's counters. */
  readonly nodePools: PgNodePool[] = [];

  constructor(
    private readonly config: ResolvedPoolConfig<pg.PoolConfig>,
    private readonly clientClass: ClientClass,
    private readonly events: PgPoolEventSink,
  ) {}

  createNodePool(node: NodeAddress): PgNodePool {
    const pool = new PgNodePool(node, this.config.perNode(node), this.clientClass, this.events);
    this.nodePools.push(pool);
    return pool;
  }

  openProbeSession(node: NodeAddress, account?: SessionAccount): ProbeSession {
    // DBAs can tell the monitor's sessions from the app's in pg_stat_activity.
    const base = this.config.perNode(node);
    const options = account
      ? withAccount(base, account)
      : extendConfig(base, { application_name: 'failover-pool monitor' });
    const client = new this.clientClass(options);
    // The probe connection must not keep the process alive on its own (an idle pg.Pool does not).
    const socket = (client as Partial<pg.Client>).connection?.stream;
    if (socket instanceof Socket) socket.unref();
    const ready = connectClient(client);
    return {
      ready,
      run: async (sql, values) => (await client.query(sql, values as unknown[] | undefined)).rows,
      onFailure: (listener) => client.on('error', listener),
      destroy: () => destroySocket(client),
      async end(graceMs) {
        const connected = await ready.then(
          () => true,
          () => false,
        );
        if (!connected) return destroySocket(client);
        const timer = setTimeout(() => destroySocket(client), graceMs);
        await Promise.resolve((client as Partial<pg.Client>).end?.()).catch(() => undefined);
        clearTimeout(timer);
      },
    };
  }

  stateOf(client: pg.PoolClient): ConnectionState {
    return trackingOf(client).failoverState;
  }

  reportedWritable(client: pg.PoolClient): boolean | undefined {
    return sessionWritableFromParameters(trackingOf(client).serverParameters);
  }

  endedError(): Error {
    return new PoolEndedError(ENDED);
  }

  isAlive(client: pg.PoolClient): boolean {
    return trackingOf(client).failoverState.alive;
  }

  sessionIdOf(client: pg.PoolClient): number | undefined {
    // The backend's pid, from the BackendKeyData message at login (pg's typings leave it out).
    const pid = (client as { processID?: unknown }).processID;
    return typeof pid === 'number' && pid > 0 ? pid : undefined;
  }

  destroy(client: pg.PoolClient): void {
    destroySocket(client);
  }

  async execute(client: pg.PoolClient, text: string, values: readonly unknown[]): Promise<StatementResult> {
    const result = await runStatement(client, { text, values: [...values] });
    return { rows: result.rows, command: result.command, affectedRows: result.rowCount ?? undefined };
  }
}
