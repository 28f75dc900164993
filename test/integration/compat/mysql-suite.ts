import type mysql from 'mysql2';
import type mysqlPromise from 'mysql2/promise';
import { describe } from 'vitest';
import { callbackHandle, type MysqlHandle, promiseHandle } from './mysql-handle';
import { callbackSubjects, type MysqlSubject, promiseSubjects } from './mysql-subjects';
import { trackPools } from './pool-tracker';
import { mariadbMissing, type ServerAddress, useMariadbServer } from './servers';

export interface MysqlCase<P> {
  readonly subject: MysqlSubject<P>;
  server(): ServerAddress;
  /** A pool on the server with these mysql2 options; it ends after the test. */
  pool(options?: mysql.PoolOptions): P;
  /** A pool given exactly this mysql2 config; it ends after the test. */
  fromMysqlConfig(config: mysql.PoolOptions | string): P;
}

type Flavoured<P> = { subjects: MysqlSubject<P>[]; handle(pool: P): MysqlHandle };

const flavours = {
  callback: { subjects: callbackSubjects, handle: callbackHandle } as Flavoured<mysql.Pool>,
  promise: { subjects: promiseSubjects, handle: promiseHandle } as Flavoured<mysqlPromise.Pool>,
};

/** One MariaDB server for the file, skipped (or failed under FAILOVER_POOL_REQUIRE_SERVERS=1) without MariaDB. */
function describeOnMariadb(
  title: string,
  body: (server: () => ServerAddress, keep: ReturnType<typeof trackPools>) => void,
) {
  describe.skipIf(mariadbMissing())(`mysql2 compatibility: ${title}`, () => {
    body(useMariadbServer(), trackPools());
  });
}

function eachSubject<P>(
  flavour: Flavoured<P>,
  server: () => ServerAddress,
  keep: ReturnType<typeof trackPools>,
  body: (c: MysqlCase<P>) => void,
) {
  const endable = (pool: P) => keep({ end: () => flavour.handle(pool).end() }) && pool;
  describe.each(flavour.subjects)('$name', (subject) => {
    body({
      subject,
      server,
      pool: (options) => endable(subject.pool(server(), options)),
      fromMysqlConfig: (config) => endable(subject.poolFromMysqlConfig(config)),
    });
  });
}

/** Tests of the callback API only: mysql2's Pool, failover-pool's callback pool from each build. */
export function describeMysqlCallback(title: string, body: (c: MysqlCase<mysql.Pool>) => void): void {
  describeOnMariadb(title, (server, keep) => eachSubject(flavours.callback, server, keep, body));
}

/** Tests of the promise API only: mysql2/promise's Pool, failover-pool's promise pool from each build. */
export function describeMysqlPromise(title: string, body: (c: MysqlCase<mysqlPromise.Pool>) => void): void {
  describeOnMariadb(title, (server, keep) => eachSubject(flavours.promise, server, keep, body));
}

/** A behaviour of both flavours, written once against a MysqlHandle: six subjects. */
export function describeMysql(
  title: string,
  body: (c: MysqlCase<MysqlHandle> & { readonly flavour: 'callback' | 'promise' }) => void,
): void {
  describeOnMariadb(title, (server, keep) => {
    for (const [name, flavour] of Object.entries(flavours) as [string, Flavoured<unknown>][]) {
      const handled = {
        subjects: flavour.subjects.map((subject) => ({
          name: subject.name,
          raw: subject.raw,
          pool: (s: ServerAddress, o?: mysql.PoolOptions) => flavour.handle(subject.pool(s, o)),
          poolFromMysqlConfig: (c: mysql.PoolOptions | string) =>
            flavour.handle(subject.poolFromMysqlConfig(c)),
        })),
        handle: (h: MysqlHandle) => h,
      };
      eachSubject(handled, server, keep, (c) => body({ ...c, flavour: name as 'callback' | 'promise' }));
    }
  });
}
