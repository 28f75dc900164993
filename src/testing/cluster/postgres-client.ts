import type { Client, ClientConfig } from 'pg';
import { closeSession, optionalPeer } from './driver-loading';
import { SUPERUSER } from './postgres-config';
import { HOST } from './test-cluster';

export const loadPg = optionalPeer<typeof import('pg')>(
  () => import('pg'),
  'The PostgreSQL test cluster needs the `pg` package: `npm install -D pg`.',
);

export interface SessionOptions {
  /** Until the server has authenticated us and is ready (default 5000). */
  connectTimeoutMs?: number;
  /** Per query, measured by the client; the connection is dropped when it runs out (default 30000). */
  queryTimeoutMs?: number;
  /** Default 'postgres'. */
  database?: string;
  /** Default: the superuser, which loopback trusts. */
  user?: string;
  password?: string;
}

/** Opens a session on a loopback node (the superuser's by default), runs `work`, and always closes the session. */
export async function withPgSession<T>(
  port: number,
  session: SessionOptions,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const pg = await loadPg();
  const config: ClientConfig = {
    host: HOST,
    port,
    user: session.user ?? SUPERUSER,
    password: session.password,
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
    await closeSession(
      () => client.end(),
      () => client.connection.stream.destroy(),
    );
  }
}
