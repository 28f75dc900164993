/**
 * One app instance in its own process (test/integration/support/app-instances.ts starts it): a pool
 * with the options given, which may promote, and a stream of single-row inserts with ids of its own.
 * It reports on stdout, one JSON line each, the pool's promotion and topology events as they happen,
 * and at the end what it wrote. Commands come on stdin: `stop`.
 */
import { createInterface } from 'node:readline';
import type { NodeOperations } from '../../../src/core/node-operations';
import { mysqlOperations } from '../../../src/dialects/mysql/operations';
import { postgresOperations } from '../../../src/dialects/postgres/operations';
import { createMysqlPromisePool } from '../../../src/drivers/mysql2';
import { createPgPool } from '../../../src/drivers/pg';
import type { ChildConfig, ChildMessage } from './app-instance-protocol';
import { REPORTED_EVENTS } from './app-instance-protocol';

const config = JSON.parse(process.argv[2] as string) as ChildConfig;
const send = (message: ChildMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

type Insert = (id: number) => Promise<unknown>;
interface AppPool {
  on(event: string, listener: (payload: unknown) => void): unknown;
  end(): Promise<void>;
  topology(): { primary: string | null };
}

function openPool(): { pool: AppPool; insert: Insert } {
  if (config.engine === 'postgresql') {
    const pool = createPgPool(config.options as Parameters<typeof createPgPool>[0]);
    return { pool, insert: (id) => pool.query('INSERT INTO writes(id) VALUES ($1)', [id]) };
  }
  const pool = createMysqlPromisePool(config.options as Parameters<typeof createMysqlPromisePool>[0]);
  return { pool, insert: (id) => pool.query('INSERT INTO writes(id) VALUES (?)', [id]) };
}

/** Events carry Errors, which JSON would turn into {}: their message is what a test reads. */
function plain(payload: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(payload, (_key, value) => (value instanceof Error ? { message: value.message } : value)),
  ) as Record<string, unknown>;
}

if (config.dieAfterPromoting) {
  for (const operations of [postgresOperations, mysqlOperations] as NodeOperations[]) {
    const promote = operations.promote;
    operations.promote = async (run, options) => {
      await promote(run, options);
      process.kill(process.pid, 'SIGKILL');
    };
  }
}

const { pool, insert } = openPool();
for (const name of REPORTED_EVENTS) {
  pool.on(name, (payload) =>
    send({ type: 'event', name, payload: plain(payload), primary: pool.topology().primary }),
  );
}

const acked: number[] = [];
const errors: Record<string, number> = {};
let running = true;
let next = config.idBase;

async function writeLoop(): Promise<void> {
  while (running) {
    const id = next++;
    try {
      await insert(id);
      acked.push(id);
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? (error as Error).name);
      errors[code] = (errors[code] ?? 0) + 1;
    }
    await new Promise((resolve) => setTimeout(resolve, config.pauseMs));
  }
}

const writing = config.write ? writeLoop() : Promise.resolve();
// The primary as the pool sees it, whenever it changes (the same primary found again emits no event).
let shown: string | null | undefined;
setInterval(() => {
  const { primary } = pool.topology();
  if (primary !== shown && shown !== undefined) send({ type: 'primary', primary });
  shown = primary;
}, 20).unref();
// Ready once the pool knows the primary: a test's fault must find every instance following it.
const ready = setInterval(() => {
  const { primary } = pool.topology();
  if (primary === null) return;
  clearInterval(ready);
  send({ type: 'ready', primary });
}, 20);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  running = false;
  void writing
    .then(() => pool.end())
    .then(() => {
      send({ type: 'done', acked, errors });
      process.exit(0);
    });
});
