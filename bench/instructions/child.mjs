// One side of `npm run bench:instructions`, run under valgrind: opens a pool (the raw driver's or
// failover-pool's built one), warms it up, runs `statements` SELECT 1 with `callers` concurrent
// callers, ends it and exits. Plain JavaScript, so nothing but the pool is compiled on the way.
import { pathToFileURL } from 'node:url';

const spec = JSON.parse(process.argv[2]);
const { engine, api, side, statements, callers, server, dist } = spec;
const built = (name) => import(pathToFileURL(`${dist}/${name}.js`).href);
// The monitor probes once at start and not again during the run: under valgrind everything runs
// about fifty times slower, and a probe would time out and look like a failover.
const monitor = { intervalMs: 600_000, timeoutMs: 600_000, fastIntervalMs: 600_000, settleMs: 0 };
const credentials = { user: server.user, password: server.password, database: server.database };

let query;
let close;
if (engine === 'postgres') {
  const pool =
    side === 'raw'
      ? new (await import('pg')).default.Pool({
          host: '127.0.0.1',
          port: server.primaryPort,
          max: 10,
          ...credentials,
        })
      : (await built('pg')).createPgPool({ hosts: server.hosts, max: 10, monitor, ...credentials });
  query = () => pool.query('SELECT 1');
  close = () => pool.end();
} else {
  const raw = { host: '127.0.0.1', port: server.primaryPort, connectionLimit: 10, ...credentials };
  const ours = { hosts: server.hosts, connectionLimit: 10, monitor, ...credentials };
  if (api === 'promise') {
    const pool =
      side === 'raw'
        ? (await import('mysql2/promise')).default.createPool(raw)
        : (await built('mysql2')).createMysqlPromisePool(ours);
    query = () => pool.query('SELECT 1');
    close = () => pool.end();
  } else {
    const pool =
      side === 'raw'
        ? (await import('mysql2')).default.createPool(raw)
        : (await built('mysql2')).createMysqlPool(ours);
    query = () =>
      new Promise((resolve, reject) => pool.query('SELECT 1', (e) => (e ? reject(e) : resolve())));
    close = () => new Promise((resolve) => pool.end(() => resolve()));
  }
}

async function run(count) {
  let left = count;
  const caller = async () => {
    while (left-- > 0) await query();
  };
  await Promise.all(Array.from({ length: callers }, caller));
}

await run(2_000);
await run(statements);
await close();
process.exit(0);
