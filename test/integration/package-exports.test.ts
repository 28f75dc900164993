import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The built package as users load it, by name, from ESM and CommonJS (`npm test` builds before it
 * runs this). The root entry must load no database driver; each driver loads only its own.
 */
const root = join(import.meta.dirname, '..', '..');
const built = existsSync(join(root, 'dist', 'index.js'));

function load(kind: 'esm' | 'cjs', specifier: string): { exports: string[]; drivers: string[] } {
  const script =
    kind === 'esm'
      ? `const m = await import(${JSON.stringify(specifier)});
         const { createRequire } = await import('node:module');
         const cache = Object.keys(createRequire(import.meta.url).cache);
         console.log(JSON.stringify({ exports: Object.keys(m), drivers: cache }));`
      : `const m = require(${JSON.stringify(specifier)});
         console.log(JSON.stringify({ exports: Object.keys(m), drivers: Object.keys(require.cache) }));`;
  const args = kind === 'esm' ? ['--input-type=module', '-e', script] : ['-e', script];
  const output = JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' })) as {
    exports: string[];
    drivers: string[];
  };
  const drivers = output.drivers
    .map((file) => /node_modules\/(pg|mysql2)\//.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);
  return { exports: output.exports, drivers: [...new Set(drivers)].sort() };
}

describe.skipIf(!built)('the built package', () => {
  it.each(['esm', 'cjs'] as const)('loads every entry point by name (%s)', (kind) => {
    const main = load(kind, 'failover-pool');
    expect(main.exports).toEqual(
      expect.arrayContaining(['FailoverPoolError', 'NoPrimaryError', 'WriteOutcomeUnknownError']),
    );
    expect(main.drivers).toEqual([]);

    const pg = load(kind, 'failover-pool/pg');
    expect(pg.exports).toEqual(expect.arrayContaining(['createPgPool', 'FailoverPgPool']));
    expect(pg.drivers).toEqual(['pg']);

    const mysql = load(kind, 'failover-pool/mysql2');
    expect(mysql.exports).toEqual(expect.arrayContaining(['createMysqlPool', 'createMysqlPromisePool']));
    expect(mysql.drivers).toEqual(['mysql2']);

    const testing = load(kind, 'failover-pool/testing');
    expect(testing.exports).toEqual(
      expect.arrayContaining([
        'startPgCluster',
        'startMariadbCluster',
        'createFaultProxy',
        'createHistory',
        'runChaos',
        // The rest of each tool, grouped under its name.
        'harness',
        'faultProxy',
        'historyCheck',
        'chaos',
      ]),
    );
  });
});
