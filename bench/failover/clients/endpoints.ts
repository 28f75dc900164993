import type { Endpoints, WriteTarget } from '../types';

/** Every node as 'host:port', the initial primary first. */
export const hostList = (endpoints: Endpoints): string[] => endpoints.hosts.map((h) => `${h.host}:${h.port}`);

/** The app's account and database, as every client's options name them. */
export const account = ({ user, password, database }: Endpoints) => ({ user, password, database });

/** Each node as a member of a PoolCluster-style client ('node1', 'node2', ...), with the app's account. */
export function addEveryNode(
  endpoints: Endpoints,
  add: (
    name: string,
    config: { host: string; port: number; user: string; password: string; database: string },
  ) => void,
): void {
  endpoints.hosts.forEach((h, i) => {
    add(`node${i + 1}`, { host: h.host, port: h.port, ...account(endpoints) });
  });
}

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
