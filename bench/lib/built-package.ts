import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../peers/paths';

type PgEntry = typeof import('../../src/drivers/pg');
type Mysql2Entry = typeof import('../../src/drivers/mysql2');

/**
 * failover-pool as users run it: the built bundles in dist/, not src/ through tsx. tsx compiles
 * with esbuild's keepNames, which adds an Object.defineProperty to every closure created on the
 * statement path: run from src/, pool.query looked about 20% slower at 32 callers than the build
 * does on the same machine. The bench scripts build first.
 */
async function built<T>(name: string): Promise<T> {
  const file = join(REPO_ROOT, 'dist', `${name}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first.`);
  return (await import(pathToFileURL(file).href)) as T;
}

export const builtPg = (): Promise<PgEntry> => built<PgEntry>('pg');
export const builtMysql2 = (): Promise<Mysql2Entry> => built<Mysql2Entry>('mysql2');
