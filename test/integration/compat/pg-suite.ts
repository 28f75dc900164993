import type pg from 'pg';
import { describe } from 'vitest';
import { type PgSubject, pgSubjects } from './pg-subjects';
import { trackPools } from './pool-tracker';
import { pgMissing, type ServerAddress, usePgServer } from './servers';

/** What each behaviour's tests get: the subject, the file's server, and pool makers whose pools end after each test. */
export interface PgCase {
  readonly subject: PgSubject;
  server(): ServerAddress;
  /** A pool on the server with these pg.Pool options (see PgSubject.pool). */
  pool(options?: pg.PoolConfig): pg.Pool;
  /** A pool given exactly this pg.Pool config (see PgSubject.poolFromPgConfig). */
  fromPgConfig(config: pg.PoolConfig): pg.Pool;
}

/**
 * Declares `body`'s tests once per pg subject (raw pg.Pool, failover-pool ESM, failover-pool CJS),
 * on one PostgreSQL server for the file; skipped, or failed under FAILOVER_POOL_REQUIRE_SERVERS=1,
 * when PostgreSQL is not installed.
 */
export function describePg(title: string, body: (c: PgCase) => void): void {
  describe.skipIf(pgMissing())(`pg compatibility: ${title}`, () => {
    const server = usePgServer();
    const keep = trackPools();
    describe.each(pgSubjects)('$name', (subject) => {
      body({
        subject,
        server,
        pool: (options) => keep(subject.pool(server(), options)),
        fromPgConfig: (config) => keep(subject.poolFromPgConfig(config)),
      });
    });
  });
}
