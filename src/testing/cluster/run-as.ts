import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The OS account the servers run as when the test process is root. */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

/** Which server runs, for the account choice and the messages. */
export interface ServerAccountPolicy {
  /** The engine's name in messages. */
  readonly engine: string;
  /** Accounts to run the servers as when the test process is root, the first that exists wins. */
  readonly accounts: readonly string[];
  /** The server binary that is run as that account to prove it can (`postgres`, `mariadbd`). */
  readonly binary: string;
  /** The variable that points the harness at other binaries. */
  readonly binEnv: string;
}

/** PostgreSQL refuses to start as root. */
export const POSTGRES_ACCOUNTS: ServerAccountPolicy = {
  engine: 'PostgreSQL',
  accounts: ['postgres', 'nobody'],
  binary: 'postgres',
  binEnv: 'FAILOVER_POOL_PG_BIN',
};

function lookupUser(name: string): RunAs | undefined {
  let line: string | undefined;
  try {
    // getent also sees accounts from NSS sources other than /etc/passwd.
    line = execFileSync('getent', ['passwd', name], {
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 5_000,
    }).trim();
  } catch {
    try {
      line = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((entry) => entry.startsWith(`${name}:`));
    } catch {
      line = undefined;
    }
  }
  const fields = line?.split(':');
  if (!fields || fields.length < 4) return undefined;
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { user: name, uid, gid };
}

/**
 * PostgreSQL refuses to start as root, mariadbd too unless given --user=root (and MariaDB's state
 * transfer fails when it runs as root), so a
 * root test process runs its servers as the first account of `policy` that exists (`postgres` or
 * `nobody`; `mysql`). Anyone else runs them as themselves: `undefined`.
 */
export function resolveRunAs(policy: ServerAccountPolicy = POSTGRES_ACCOUNTS): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of policy.accounts) {
    const account = lookupUser(name);
    if (account) return account;
  }
  const names = policy.accounts.map((name) => `\`${name}\``).join(' nor ');
  throw new Error(
    `The test process runs as root, which ${policy.engine} test servers do not run as, and there is neither ${names} ` +
      `account to run them as: create one (\`useradd --system ${policy.accounts[0]}\`) or run the tests as a non-root user.`,
  );
}

function permits(path: string, who: RunAs, bits: { owner: number; group: number; other: number }): boolean {
  const stat = statSync(path);
  // libuv drops supplementary groups when it switches uid, so only the primary group counts.
  if (stat.uid === who.uid) return (stat.mode & bits.owner) !== 0;
  if (stat.gid === who.gid) return (stat.mode & bits.group) !== 0;
  return (stat.mode & bits.other) !== 0;
}

const SEARCH = { owner: 0o100, group: 0o010, other: 0o001 };

/** The first folder on the way to `path` that `who` may not enter, if any. */
export function blockingFolder(path: string, who: RunAs): string | undefined {
  const folders: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  return folders.find((dir) => !permits(dir, who, SEARCH));
}

function describeMode(path: string): string {
  const stat = statSync(path);
  return `mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${stat.uid}`;
}

/** Throws with a fix when `who` cannot enter `dir` (the cluster's base folder must be reachable). */
export function assertCanEnter(
  dir: string,
  who: RunAs | undefined,
  purpose: string,
  policy: ServerAccountPolicy = POSTGRES_ACCOUNTS,
): void {
  if (!who) return;
  const blocked = blockingFolder(dir, who);
  if (blocked) {
    throw new Error(
      `The test servers run as "${who.user}" (uid ${who.uid}) because ${policy.engine} test servers do not run as root, but that user ` +
        `cannot enter ${blocked} (${describeMode(blocked)}), on the way to ${purpose} ${dir}. ` +
        `Run \`chmod o+x ${blocked}\`, or set FAILOVER_POOL_TMPDIR (or TMPDIR) to a folder that user can reach, or run the tests as a non-root user.`,
    );
  }
}

/** Throws with a fix when `who` cannot run the binaries in `binDir` (and read their lib/ and share/). */
export function assertCanRun(
  binDir: string,
  who: RunAs | undefined,
  policy: ServerAccountPolicy = POSTGRES_ACCOUNTS,
): void {
  if (!who) return;
  // lib/ and share/ are siblings of bin/: the whole installation folder must be reachable.
  const installRoot = dirname(resolve(binDir));
  const blocked = blockingFolder(installRoot, who);
  if (blocked) {
    throw new Error(
      `The test servers run as "${who.user}" (uid ${who.uid}) because ${policy.engine} test servers do not run as root, but that user ` +
        `cannot enter ${blocked} (${describeMode(blocked)}), which holds the ${policy.engine} binaries in ${binDir}. ` +
        `Run \`chmod o+x ${blocked}\`, or set ${policy.binEnv} to binaries that user can run, or run the tests as a non-root user.`,
    );
  }
  // The mode walk above cannot see ACLs, mount options or a missing shared library: running the binary
  // as that user is the real test.
  const server = join(binDir, process.platform === 'win32' ? `${policy.binary}.exe` : policy.binary);
  const result = spawnSync(server, ['--version'], {
    uid: who.uid,
    gid: who.gid,
    cwd: '/',
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (result.error || result.status !== 0) {
    const detail = result.error?.message || String(result.stderr).trim() || `exit status ${result.status}`;
    throw new Error(
      `The "${who.user}" user (uid ${who.uid}) cannot run ${server}: ${detail}. ` +
        `Make the installation readable and executable for that user, or set ${policy.binEnv} to binaries it can run.`,
    );
  }
}
