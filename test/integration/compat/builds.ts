import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The built package, as apps load it: the ESM files through `import`, the CommonJS ones through
 * `require`. The suite tests what is published, not the sources (the CommonJS bundle once renamed
 * the pool class). `npm test` builds before it runs the tests; a local run needs `npm run build`.
 */
export type PgModule = typeof import('../../../src/drivers/pg/index');
export type MysqlModule = typeof import('../../../src/drivers/mysql2/index');

export type BuildFormat = 'ESM' | 'CJS';

export const distDir = join(import.meta.dirname, '..', '..', '..', 'dist');
const require = createRequire(import.meta.url);

function builtFile(name: string): string {
  const file = join(distDir, name);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` builds before testing).`);
  }
  return file;
}

async function load<M>(format: BuildFormat, entry: 'pg' | 'mysql2'): Promise<M> {
  if (format === 'CJS') return require(builtFile(`${entry}.cjs`)) as M;
  return (await import(/* @vite-ignore */ pathToFileURL(builtFile(`${entry}.js`)).href)) as M;
}

export const loadPgBuild = (format: BuildFormat) => load<PgModule>(format, 'pg');
export const loadMysqlBuild = (format: BuildFormat) => load<MysqlModule>(format, 'mysql2');
