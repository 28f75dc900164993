import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isExecutable } from './binaries';
import {
  type FindMariadbBinariesOptions,
  findMariadbBinaries,
  type MariadbBinaries,
} from './mariadb-binaries';

/** MariaDB's server binaries, and what a Galera node needs besides: the provider and rsync state transfer. */
export interface GaleraBinaries extends MariadbBinaries {
  /** Galera's provider library, `libgalera_smm.so`, loaded by every node (`wsrep_provider`). */
  provider: string;
}

export interface FindGaleraBinariesOptions extends FindMariadbBinariesOptions {
  /** The provider library's path; wins over FAILOVER_POOL_GALERA_PROVIDER and the usual places. */
  provider?: string;
}

export const GALERA_PROVIDER_ENV = 'FAILOVER_POOL_GALERA_PROVIDER';

const LIBRARY = 'libgalera_smm.so';

/**
 * Where packages put it: Debian/Ubuntu's galera-4 (`dpkg -L galera-4`: /usr/lib/galera, with a link
 * in /usr/lib), MariaDB's and Red Hat's RPMs (lib64), a tarball in /usr/local.
 */
const USUAL_FOLDERS = [
  '/usr/lib/galera',
  '/usr/lib/galera-4',
  '/usr/lib',
  '/usr/lib64/galera-4',
  '/usr/lib64/galera',
  '/usr/lib64',
  '/usr/local/lib/galera',
  '/usr/local/lib',
];

const INSTALL_HINT =
  'Install Galera (Debian/Ubuntu: `apt-get install galera-4`, which mariadb-server also pulls in), ' +
  `or set ${GALERA_PROVIDER_ENV} to the path of ${LIBRARY}.`;

function isReadableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds Galera's provider library: an explicit `provider`, else FAILOVER_POOL_GALERA_PROVIDER, else
 * the usual package folders (next to the MariaDB installation first when `serverRoot` is given).
 */
export function findGaleraProvider(options: { provider?: string; serverRoot?: string } = {}): string {
  const explicit = options.provider ?? process.env[GALERA_PROVIDER_ENV];
  if (explicit) {
    if (!isReadableFile(explicit)) {
      throw new Error(`The Galera provider ${explicit} is not a readable file. ${INSTALL_HINT}`);
    }
    return explicit;
  }
  const root = options.serverRoot;
  const nearServer = root
    ? ['lib/galera', 'lib64/galera-4', 'lib64/galera', 'lib'].map((sub) => join(root, sub))
    : [];
  const found = [...nearServer, ...USUAL_FOLDERS].map((dir) => join(dir, LIBRARY)).find(isReadableFile);
  if (!found) throw new Error(`No Galera provider (${LIBRARY}) found in the usual folders. ${INSTALL_HINT}`);
  return found;
}

/**
 * The rsync state transfer runs MariaDB's `wsrep_sst_rsync` script, which mariadbd looks for in its
 * own installation's bin folder and then on the PATH, and the script runs `rsync`: without them a
 * joining node would fail only once it asks for a state transfer, so they are looked for up front.
 */
function assertStateTransferTools(serverRoot: string): void {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const missing = [
    { name: 'wsrep_sst_rsync', folders: [join(serverRoot, 'bin'), join(serverRoot, 'scripts'), ...path] },
    { name: 'rsync', folders: path },
  ].filter(({ name, folders }) => !folders.some((dir) => isExecutable(join(dir, name))));
  if (missing.length > 0) {
    const names = missing.map(({ name }) => `\`${name}\``).join(' and ');
    throw new Error(
      `Galera's rsync state transfer needs ${names}, not found on the PATH. ` +
        'Install them (Debian/Ubuntu: `apt-get install mariadb-server rsync`).',
    );
  }
}

/** The MariaDB server (see findMariadbBinaries), Galera's provider and the state transfer tools. */
export function findGaleraBinaries(options: FindGaleraBinariesOptions = {}): GaleraBinaries {
  const server = findMariadbBinaries({ binDir: options.binDir });
  const provider = findGaleraProvider({ provider: options.provider, serverRoot: server.baseDir });
  assertStateTransferTools(server.baseDir);
  return { ...server, provider };
}
