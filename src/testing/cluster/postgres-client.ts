import type { Client, ClientConfig } from 'pg';
import { HOST, SUPERUSER } from './postgres-config';

type PgModule = typeof import('pg');

let pgModule: Promise<PgModule> | undefined;

/** `pg` is an optional peer dependency: loaded on first use, with a clear error when it is missing. */
export function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then(
    // pg is CommonJS: under ESM its exports arrive as the default export, under CommonJS directly.
    (loaded) => (loaded as unknown as { default?: PgModule }).default ?? loaded,
    (error: unknown) => {
      pgModule = undefined;
      throw new Error('The PostgreSQL test cluster needs the `pg` package: `npm install -D pg`.', {
        cause: error,
      });
    },
  );
  return pgModule;
}

export interface SessionOptions {
  /** Until the server has authenticated us and is ready (default 5000). */
  connectTimeoutMs?: number;
  /** Per query, measured by the client; the connection is dropped when it runs out (default 30000). */
  queryTimeoutMs?: number;
  /** Default 'postgres'. */
  database?: string;
}

const END_GRACE_MS = 500;

/**
 * Closes politely, but never waits on a server that cannot answer (a SIGSTOPped one would keep
 * `end()` pending forever): after a grace period the socket is destroyed.
 */
export async function closeClient(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, END_GRACE_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.connection.stream.destroy();
  }
}

/** Opens a superuser session on a loopback node, runs `work`, and always closes the session. */
export async function withSuperuser<T>(
  port: number,
  session: SessionOptions,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const pg = await loadPg();
  const config: ClientConfig = {
    host: HOST,
    port,
    user: SUPERUSER,
    database: session.database ?? 'postgres',
    connectionTimeoutMillis: session.connectTimeoutMs ?? 5_000,
    query_timeout: session.queryTimeoutMs ?? 30_000,
    application_name: 'failover-pool-harness',
  };
  const client = new pg.Client(config);
  // A server that dies under an open session emits 'error' on the client; unheard, it would crash
  // the process. The failure itself reaches the caller through the rejected query.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await closeClient(client);
  }
}
