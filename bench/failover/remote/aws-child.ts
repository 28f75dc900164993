/**
 * Runs under Node 22 (bench/.peers), started by the AWS wrapper bench client: opens AwsPGClient or
 * AwsMySQLClient connections (by the endpoints' engine) with the wrapper's failover plugin and runs
 * the inserts the bench sends.
 *
 * It behaves as the wrapper's own failover example tells an app to: one wrapper client per concurrent
 * caller (the wrapper's pool is documented not to support failover); FailoverSuccessError means the
 * connection now points at the new writer, so the client is kept; after any other failure the app
 * opens a new client. It does not re-run the failed insert: every client in the bench surfaces its
 * errors to the same write stream, which moves on to the next id.
 */
import { pathToFileURL } from 'node:url';
import { AWS_WRAPPER_MYSQL, AWS_WRAPPER_PG } from '../../peers/paths';
import type { Endpoints } from '../types';
import { type FromChild, type ToChild, toWireError } from './protocol';

interface AwsClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}
type AwsClientClass = new (config: Record<string, unknown>) => AwsClient;

interface Slot {
  client: AwsClient | undefined;
  busy: boolean;
}

const send = (message: FromChild) => process.send?.(message);
process.on('unhandledRejection', (error) =>
  send({ type: 'incident', what: 'unhandledRejection', error: toWireError(error) }),
);
process.on('uncaughtException', (error) =>
  send({ type: 'incident', what: 'uncaughtException', error: toWireError(error) }),
);

/**
 * Only the `/pg` or `/mysql` subpath: the package root also loads its IAM/Secrets Manager code, which
 * imports `@aws-sdk/credential-providers`, a package the wrapper does not declare as a dependency.
 */
async function loadWrapper(engine: Endpoints['engine']): Promise<AwsClientClass> {
  const [file, name] =
    engine === 'postgres' ? [AWS_WRAPPER_PG, 'AwsPGClient'] : [AWS_WRAPPER_MYSQL, 'AwsMySQLClient'];
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const clientClass = loaded[name];
  if (typeof clientClass !== 'function') throw new Error(`${file} has no ${name}`);
  return clientClass as AwsClientClass;
}

const INSERT: Record<Endpoints['engine'], string> = {
  postgres: 'INSERT INTO writes(id) VALUES ($1)',
  mysql: 'INSERT INTO writes(id) VALUES (?)',
};

/** The wrapper's documented settings (the same keys for both flavours), with the failover plugin. */
function config(endpoints: Endpoints): Record<string, unknown> {
  const first = endpoints.hosts[0];
  return {
    host: first?.host,
    port: first?.port,
    user: endpoints.user,
    password: endpoints.password,
    database: endpoints.database,
    plugins: process.env.BENCH_AWS_PLUGINS ?? 'failover,efm2',
  };
}

let wrapper: AwsClientClass | undefined;
let insertSql = INSERT.postgres;
let endpoints: Endpoints | undefined;
const slots: Slot[] = [];
const waiting: ((slot: Slot) => void)[] = [];

function takeSlot(): Promise<Slot> {
  const free = slots.find((s) => !s.busy);
  if (free) {
    free.busy = true;
    return Promise.resolve(free);
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function giveBack(slot: Slot): void {
  const next = waiting.shift();
  if (next) next(slot);
  else slot.busy = false;
}

async function connected(slot: Slot): Promise<AwsClient> {
  if (slot.client) return slot.client;
  if (!wrapper || !endpoints) throw new Error('not opened');
  const client = new wrapper(config(endpoints));
  await client.connect();
  slot.client = client;
  return client;
}

function discard(slot: Slot): void {
  const client = slot.client;
  slot.client = undefined;
  client?.end().catch(() => undefined);
}

async function insert(seq: number, id: number): Promise<void> {
  const slot = await takeSlot();
  try {
    const client = await connected(slot);
    await client.query(insertSql, [id]);
    send({ type: 'result', seq });
  } catch (error) {
    if (!(error instanceof Error && error.name === 'FailoverSuccessError')) discard(slot);
    send({ type: 'result', seq, error: toWireError(error) });
  } finally {
    giveBack(slot);
  }
}

async function open(target: Endpoints, poolSize: number): Promise<void> {
  try {
    wrapper = await loadWrapper(target.engine);
    insertSql = INSERT[target.engine];
    endpoints = target;
    for (let i = 0; i < poolSize; i++) slots.push({ client: undefined, busy: false });
    const first = slots[0] as Slot;
    await connected(first);
    send({ type: 'opened' });
  } catch (error) {
    send({ type: 'open-failed', error: toWireError(error) });
  }
}

async function close(): Promise<void> {
  await Promise.all(slots.map((slot) => slot.client?.end().catch(() => undefined)));
  send({ type: 'closed' });
  // The wrapper's monitors keep timers running; this process exists only for the bench.
  process.exit(0);
}

process.on('message', (raw) => {
  const message = raw as ToChild;
  if (message.type === 'open') void open(message.endpoints, message.poolSize);
  else if (message.type === 'insert') void insert(message.seq, message.id);
  else if (message.type === 'close') void close();
});
process.on('disconnect', () => process.exit(0));
