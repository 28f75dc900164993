import { describe } from 'vitest';
import {
  createMysqlPromisePool,
  type FailoverMysqlPromisePool,
  type MysqlTransaction,
} from '../../src/drivers/mysql2';
import { type MariadbCluster, startMariadbCluster } from '../../src/testing';
import { mostAdvancedOf, positionOf } from '../../src/testing/cluster/mariadb-positions';
import { mariadbUnavailable } from './support/mariadb-cluster';
import {
  type TxCluster,
  type TxClusterOptions,
  transactionTests,
  txCluster,
} from './support/transaction-scenarios';

/**
 * pool.transaction on real MariaDB clusters (the mysql2 promise pool): the scenarios of
 * support/transaction-scenarios.ts. "Synchronous" is lossless semi-sync (AFTER_SYNC).
 */

/** The replica that received the most (by GTID), as a failover manager picks it. */
async function mostAdvanced(cluster: MariadbCluster, candidates: readonly string[]): Promise<string> {
  const positions = [];
  for (const name of candidates) {
    const [status] = await cluster.query<{ Gtid_IO_Pos?: string }>(name, 'SHOW REPLICA STATUS');
    const [row] = await cluster.query<{ applied: string; logged: string }>(
      name,
      'SELECT @@global.gtid_slave_pos AS applied, @@global.gtid_binlog_pos AS logged',
    );
    positions.push({ name, position: positionOf([status?.Gtid_IO_Pos, row?.applied, row?.logged]) });
  }
  return mostAdvancedOf(positions);
}

async function mariadbTxCluster({ synchronous, ...options }: TxClusterOptions): Promise<TxCluster> {
  const cluster = await startMariadbCluster({ ...options, semiSync: synchronous === true });
  let pool: FailoverMysqlPromisePool;
  try {
    pool = createMysqlPromisePool({ ...cluster.connectionOptions });
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return txCluster({
    label: `MariaDB ${cluster.serverVersion.split('-')[0]} (${synchronous ? 'semi-sync' : 'async'})`,
    cluster,
    pool,
    createPool: (transactions) => createMysqlPromisePool({ ...cluster.connectionOptions, transactions }),
    abortsOnError: false,
    rows: async (tx: MysqlTransaction, sql, values) =>
      (await tx.query(sql.replace(/\$\d+/g, '?'), values))[0] as Record<string, unknown>[],
    types: { serial: 'BIGINT AUTO_INCREMENT', text: 'VARCHAR(64)' },
    failover: async () => {
      const candidates = cluster.nodes.map((n) => n.name).filter((name) => name !== cluster.primary);
      const next = await mostAdvanced(cluster, candidates);
      await cluster.promote(next);
      for (const other of candidates.filter((name) => name !== next)) {
        await cluster.repoint(other, next);
        await cluster.waitForReplicating(other, 15_000);
      }
      return next;
    },
    query: (node, sql) =>
      cluster.query<Record<string, unknown>>(node, sql, [], { database: cluster.connectionOptions.database }),
  });
}

describe.skipIf(mariadbUnavailable() !== undefined)('pool.transaction on MariaDB', () => {
  transactionTests(mariadbTxCluster);
});
