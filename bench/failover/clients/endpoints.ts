import type { Endpoints, WriteTarget } from '../types';

/** Every node as 'host:port', the initial primary first. */
export const hostList = (endpoints: Endpoints): string[] => endpoints.hosts.map((h) => `${h.host}:${h.port}`);

/** The app's account and database, as every client's options name them. */
export const account = ({ user, password, database }: Endpoints) => ({ user, password, database });

/** A write target that inserts one id per write and closes the client with `close`. */
export function inserting(
  insert: (id: number) => Promise<unknown>,
  close: () => Promise<unknown>,
): WriteTarget {
  return {
    insert: async (id) => {
      await insert(id);
    },
    close: async () => {
      await close();
    },
  };
}

interface PoolClusterLike {
  add(
    name: string,
    config: { host: string; port: number; user: string; password: string; database: string },
  ): void;
  end(): Promise<unknown>;
}

/**
 * A PoolCluster-style client (mysql2's, the mariadb connector's) with every node as a member
 * ('node1', 'node2', ...) and the app's account, inserting through the members `writer` picks.
 */
export function poolClusterTarget<C extends PoolClusterLike>(
  endpoints: Endpoints,
  cluster: C,
  writer: (cluster: C) => { query(sql: string, values: unknown[]): Promise<unknown> },
): WriteTarget {
  endpoints.hosts.forEach((h, i) => {
    cluster.add(`node${i + 1}`, { host: h.host, port: h.port, ...account(endpoints) });
  });
  const members = writer(cluster);
  return inserting(
    (id) => members.query('INSERT INTO writes(id) VALUES (?)', [id]),
    () => cluster.end(),
  );
}
