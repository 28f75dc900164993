import pg from 'pg';
import type { PgPoolConfig } from '../../../src/drivers/pg/index';
import { type BuildFormat, loadPgBuild } from './builds';
import type { ServerAddress } from './servers';

/**
 * Something that makes pg.Pools: pg itself (the control every test must pass on) or failover-pool's
 * `createPgPool` from one of its builds. Each behaviour is written once and run on every subject.
 */
export interface PgSubject {
  readonly name: string;
  /** How a child process loads it (fixtures/pg-idle-exit.mjs). */
  readonly kind: 'raw' | BuildFormat;
  /** A pool on `server` with pg.Pool `options`; failover-pool gets the address as `hosts: ['host:port']`. */
  pool(server: ServerAddress, options?: pg.PoolConfig): pg.Pool;
  /** A pool given exactly what `new pg.Pool(config)` is given: the drop-in promise, untranslated. */
  poolFromPgConfig(config: pg.PoolConfig): pg.Pool;
}

const credentials = (server: ServerAddress) => ({
  user: server.user,
  password: server.password,
  database: server.database,
});

const rawPg: PgSubject = {
  name: 'pg.Pool',
  kind: 'raw',
  pool: (server, options = {}) =>
    new pg.Pool({ host: server.host, port: server.port, ...credentials(server), ...options }),
  poolFromPgConfig: (config) => new pg.Pool(config),
};

async function failoverPg(format: BuildFormat): Promise<PgSubject> {
  const { createPgPool } = await loadPgBuild(format);
  // failover-pool's pool claims to be a pg.Pool; the tests hold it as one, as an app would.
  const asPgPool = (config: PgPoolConfig) => createPgPool(config) as unknown as pg.Pool;
  return {
    name: `failover-pool ${format}`,
    kind: format,
    pool: (server, options = {}) => {
      const { host: _host, port: _port, ...rest } = options;
      return asPgPool({ ...credentials(server), ...rest, hosts: [`${server.host}:${server.port}`] });
    },
    poolFromPgConfig: (config) => asPgPool(config as PgPoolConfig),
  };
}

export const pgSubjects: PgSubject[] = [rawPg, await failoverPg('ESM'), await failoverPg('CJS')];
