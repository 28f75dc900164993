import { describe } from 'vitest';
import { createPgPool, type FailoverPgPool, type PgTransaction } from '../../src/drivers/pg';
import { startPgCluster } from '../../src/testing';
import { pgSources, promoteMostAdvanced } from './support/pg-cluster';
import {
  type TxCluster,
  type TxClusterOptions,
  transactionTests,
  txCluster,
} from './support/transaction-scenarios';

/** pool.transaction on real PostgreSQL clusters: the scenarios of support/transaction-scenarios.ts. */

/** A commit waiting for a synchronous standby that never comes must fail the test, not hang it. */
const QUERY_TIMEOUT_MS = 20_000;

async function pgTxCluster(source: 'system' | 'embedded', options: TxClusterOptions): Promise<TxCluster> {
  const cluster = await startPgCluster({ source, ...options });
  let pool: FailoverPgPool;
  try {
    pool = createPgPool({ ...cluster.connectionOptions, query_timeout: QUERY_TIMEOUT_MS });
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return txCluster({
    label: `PostgreSQL ${cluster.serverVersion} (${source}, ${options.synchronous ? 'sync' : 'async'})`,
    cluster,
    pool,
    createPool: (transactions) =>
      createPgPool({ ...cluster.connectionOptions, query_timeout: QUERY_TIMEOUT_MS, transactions }),
    abortsOnError: true,
    rows: async (tx: PgTransaction, sql, values) => (await tx.query(sql, values)).rows,
    types: { serial: 'BIGSERIAL', text: 'TEXT' },
    failover: async () => {
      const [next, other] = await promoteMostAdvanced(cluster);
      await cluster.waitForStreaming(other, 15_000);
      return next;
    },
    query: (node, sql) => cluster.query(node, sql, [], { database: cluster.connectionOptions.database }),
  });
}

describe.each(pgSources())('pool.transaction on PostgreSQL (%s)', (source) => {
  transactionTests((options) => pgTxCluster(source, options));
});
