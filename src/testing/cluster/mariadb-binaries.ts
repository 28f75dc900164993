import { execFileSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { isExecutable } from './binaries';

/** The MariaDB server and its data folder initialiser, and the version they are. */
export interface MariadbBinaries {
  /** `mariadbd` (or `mysqld` from a MariaDB package). */
  server: string;
  /** `mariadb-install-db` (or `mysql_install_db`). */
  installDb: string;
  /** The installation root (`/usr` for Debian's package), passed to the initialiser as `--basedir`. */
  baseDir: string;
  /** e.g. `10.11.19-MariaDB-0+deb12u1`. */
  version: string;
  major: number;
  minor: number;
}

export interface FindMariadbBinariesOptions {
  /** A folder holding `mariadbd`; wins over FAILOVER_POOL_MARIADB_BIN and the system's. */
  binDir?: string;
}

export const MARIADB_BIN_ENV = 'FAILOVER_POOL_MARIADB_BIN';

/** SHOW REPLICA STATUS and the SLAVE MONITOR privilege the harness grants arrived in 10.5. */
const MIN_VERSION = [10, 5] as const;

const SERVER_NAMES = ['mariadbd', 'mysqld'];
const INSTALL_NAMES = ['mariadb-install-db', 'mysql_install_db'];

/** Where packages put them: Debian/Ubuntu (sbin for the server), Homebrew, tarballs. */
const USUAL_FOLDERS = [
  '/usr/sbin',
  '/usr/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/local/mysql/bin',
  '/opt/homebrew/bin',
  '/opt/homebrew/opt/mariadb/bin',
  '/usr/local/opt/mariadb/bin',
];

const INSTALL_HINT =
  'Install MariaDB (Debian/Ubuntu: `apt-get install mariadb-server`; macOS: `brew install mariadb`), ' +
  `or set ${MARIADB_BIN_ENV} to the folder holding mariadbd.`;

function findIn(folders: readonly string[], names: readonly string[]): string | undefined {
  for (const folder of folders) {
    for (const name of names) {
      const file = join(folder, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

/**
 * Finds the MariaDB server binaries: an explicit `binDir`, else FAILOVER_POOL_MARIADB_BIN, else
 * the PATH and the usual package folders. The initialiser may sit in a sibling folder (Debian puts
 * mariadbd in /usr/sbin and mariadb-install-db in /usr/bin).
 */
export function findMariadbBinaries(options: FindMariadbBinariesOptions = {}): MariadbBinaries {
  const explicit = options.binDir ?? process.env[MARIADB_BIN_ENV];
  const searched = explicit
    ? [explicit]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...USUAL_FOLDERS];
  const server = findIn(searched, SERVER_NAMES);
  if (!server) {
    throw new Error(
      `No MariaDB server (mariadbd) found in ${explicit ?? 'the PATH or the usual folders'}. ${INSTALL_HINT}`,
    );
  }
  const root = dirname(dirname(server));
  const installDb = findIn(
    [dirname(server), join(root, 'bin'), join(root, 'scripts'), ...searched],
    INSTALL_NAMES,
  );
  if (!installDb) throw new Error(`Found ${server} but no mariadb-install-db next to it. ${INSTALL_HINT}`);
  const { version, major, minor } = serverVersion(server);
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    throw new Error(
      `${server} is MariaDB ${version}; the test cluster needs ${MIN_VERSION.join('.')} or later.`,
    );
  }
  return { server, installDb, baseDir: root, version, major, minor };
}

/** `mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)` */
function serverVersion(server: string): { version: string; major: number; minor: number } {
  let out: string;
  try {
    // --version is answered before the run-as-root check, so this works as root too.
    out = execFileSync(server, ['--no-defaults', '--version'], { encoding: 'utf8', timeout: 15_000 });
  } catch (error) {
    throw new Error(`Could not run \`${server} --version\`: ${(error as Error).message}`, { cause: error });
  }
  const match = /Ver\s+((\d+)\.(\d+)\.\d+\S*)/.exec(out);
  if (!match || !/mariadb/i.test(out)) {
    throw new Error(`${server} is not a MariaDB server (it says: ${out.trim()}). ${INSTALL_HINT}`);
  }
  return { version: match[1] as string, major: Number(match[2]), minor: Number(match[3]) };
}
