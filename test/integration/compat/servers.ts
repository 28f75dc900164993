import { afterAll, beforeAll, vi } from 'vitest';
import { harness, startMariadbCluster, startPgCluster } from '../../../src/testing/index';
import { skipOrFail } from '../support/required-servers';

/** Where a test server listens, and the app account on it (never a superuser or the machine's own server). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/**
 * A test that fails on failover-pool by waiting (for a primary, for a retry budget) must fail in
 * seconds, not hold the suite for the harness's two minutes.
 */
const COMPAT_TEST_TIMEOUT_MS = 20_000;

type Cluster = { connectionOptions: { hosts: string[]; user: string; password: string; database: string } };

function addressOf(cluster: Cluster): ServerAddress {
  const [hostPort] = cluster.connectionOptions.hosts;
  const [host, port] = (hostPort ?? '').split(':');
  const { user, password, database } = cluster.connectionOptions;
  return { host: host ?? '127.0.0.1', port: Number(port), user, password, database };
}

function unavailable(what: string, find: () => unknown): string | undefined {
  try {
    find();
    return undefined;
  } catch (error) {
    const reason = (error as Error).message;
    skipOrFail(what, reason);
    return reason;
  }
}

/** Why the PostgreSQL compatibility tests cannot run here, or undefined when they can. */
export const pgMissing = (): string | undefined =>
  unavailable('PostgreSQL (the compatibility tests)', () => harness.findPgBinaries());
/** Why the MariaDB compatibility tests cannot run here, or undefined when they can. */
export const mariadbMissing = (): string | undefined =>
  unavailable('MariaDB (the compatibility tests)', () => harness.findMariadbBinaries());

/** One server for the whole file, started before its tests and destroyed after them; gives its address. */
function useServer(start: () => Promise<Cluster & { destroy(): Promise<void> }>): () => ServerAddress {
  vi.setConfig({ testTimeout: COMPAT_TEST_TIMEOUT_MS });
  let cluster: (Cluster & { destroy(): Promise<void> }) | undefined;
  beforeAll(async () => {
    cluster = await start();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });
  return () => {
    if (!cluster) throw new Error('the test server is not running (beforeAll failed?)');
    return addressOf(cluster);
  };
}

/** A single PostgreSQL server (a harness cluster without replicas) for the file. */
export const usePgServer = () => useServer(() => startPgCluster({ replicas: 0 }));
/** A single MariaDB server (a harness cluster without replicas) for the file. */
export const useMariadbServer = () => useServer(() => startMariadbCluster({ replicas: 0 }));
