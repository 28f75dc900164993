import type { RunSql } from '../../core/dialect';
import { stringOf } from './values';

/**
 * Which server a MySQL-protocol node runs, from its version string: MySQL (and its forks, Percona
 * Server among them) or MariaDB. The two have drifted apart where failover is concerned: statement
 * names, status field names, GTID formats and the variables that make a node read-only.
 */

export type MysqlFlavour = 'mysql' | 'mariadb';

export interface MysqlServerVersion {
  readonly flavour: MysqlFlavour;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** As the server reported it, e.g. `10.11.19-MariaDB-0+deb12u1-log` or `8.4.0`. */
  readonly text: string;
}

/**
 * `@@version` as MySQL (`8.0.36`, `8.4.0-commercial`, `5.7.44-log`, Percona `8.0.35-27`) and MariaDB
 * (`10.11.19-MariaDB-0+deb12u1-log`) report it. The handshake's version has a `5.5.5-` prefix on
 * MariaDB (for clients that reject a major version above 5); it is skipped. `comment` is
 * `@@version_comment`, a second place where MariaDB names itself.
 */
export function parseServerVersion(text: string, comment = ''): MysqlServerVersion {
  const version = text.replace(/^5\.5\.5-/, '');
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`Not a MySQL or MariaDB version string: ${JSON.stringify(text)}`);
  const mariadb = /mariadb/i.test(version) || /mariadb/i.test(comment);
  return {
    flavour: mariadb ? 'mariadb' : 'mysql',
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    text,
  };
}

/** True when the server is at least `major.minor.patch`. */
export function atLeast(server: MysqlServerVersion, major: number, minor = 0, patch = 0): boolean {
  if (server.major !== major) return server.major > major;
  if (server.minor !== minor) return server.minor > minor;
  return server.patch >= patch;
}

/**
 * The replica status statements this server knows, best first. `SHOW REPLICA STATUS` arrived in
 * MySQL 8.0.22 and MariaDB 10.5.1; `SHOW SLAVE STATUS` is gone from MySQL 8.4. Both are listed where
 * both may work, so that a server upgraded in place (or a version string that lies) still answers.
 */
export function replicaStatusStatements(server: MysqlServerVersion): readonly string[] {
  const replica = server.flavour === 'mariadb' ? atLeast(server, 10, 5, 1) : atLeast(server, 8, 0, 22);
  if (!replica) return ['SHOW SLAVE STATUS'];
  if (server.flavour === 'mysql' && atLeast(server, 8, 4)) return ['SHOW REPLICA STATUS'];
  return ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS'];
}

const VERSION_SQL = 'SELECT @@version AS version, @@version_comment AS version_comment';

/** Asks the server which one it is (one round trip). */
export async function serverVersionOf(run: RunSql): Promise<MysqlServerVersion> {
  const [row] = await run(VERSION_SQL);
  return parseServerVersion(stringOf(row?.version) ?? '', stringOf(row?.version_comment));
}
