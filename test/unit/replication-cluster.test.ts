import { describe, expect, it } from 'vitest';
import { ReplicationCluster } from '../../src/drivers/mysql2/replication-cluster';
import { READ_REPLICAS, SharedReplicationPool } from '../../src/drivers/read-replicas';

/** A stand-in pool that says which side handed out each connection. */
function fakePool() {
  return {
    getConnection: (cb: (e: null, c: string) => void) => process.nextTick(cb, null, 'primary'),
    reader: () => ({
      getConnection: (cb: (e: null, c: string) => void) => process.nextTick(cb, null, 'replica'),
    }),
  };
}

function connect(cluster: ReplicationCluster, pattern: string): Promise<unknown> {
  return new Promise((resolve) =>
    cluster.getConnection(pattern, (error, connection) => resolve(error ?? connection)),
  );
}

describe("createMysql2Module().createPoolCluster (TypeORM's replication)", () => {
  it('sends MASTER to the pool, SLAVE* to its reader, over one pool; refuses a pattern of both kinds or none', async () => {
    let made = 0;
    const shared = new SharedReplicationPool<ReturnType<typeof fakePool>>(() => false);
    const cluster = new ReplicationCluster(
      shared as never,
      () => {
        made++;
        return fakePool() as never;
      },
      async () => undefined,
    );
    expect(await connect(cluster, 'MASTER')).toMatchObject({ code: 'CONFIG', option: 'replication' });
    // TypeORM adds the replica entries first, then MASTER: one pool for all.
    cluster.add('SLAVE0', { host: READ_REPLICAS });
    cluster.add('SLAVE1', { host: READ_REPLICAS });
    cluster.add('MASTER', {});
    expect(made).toBe(1);
    expect(await connect(cluster, 'MASTER')).toBe('primary');
    expect(await connect(cluster, 'SLAVE*')).toBe('replica');
    expect(await connect(cluster, '*')).toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('both'),
    });
    expect(await connect(cluster, 'OTHER')).toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('no entry'),
    });
  });
});
