import mysql from 'mysql2/promise';
import type { BenchClient } from '../types';
import { poolClusterTarget } from './endpoints';

/**
 * mysql2's PoolCluster with every node, writing through the `ORDER` selector: the first node that
 * accepts a connection. That is the only selector that can follow a failover at all (the default `RR`
 * sends two writes in three to replicas, which refuse them). PoolCluster knows nothing of roles: it
 * moves on only after `removeNodeErrorCount` (5) failed connects to a node, and then for good (its
 * `restoreNodeTimeout` is 0). Everything else is left at mysql2's defaults (connectTimeout 10 s, no
 * query timeout).
 */
export const poolClusterMysql: BenchClient = {
  name: 'mysql2 PoolCluster',
  engine: 'mysql',
  setup:
    "mysql2/promise createPoolCluster({ defaultSelector: 'ORDER' }), add(node1..3), of('*'), defaults (connectionLimit 10 per node)",
  async open(endpoints) {
    const cluster = mysql.createPoolCluster({ defaultSelector: 'ORDER' });
    // It reports every failed connect it retries as a 'warn' event; the app would log it.
    cluster.on('warn', () => undefined);
    return poolClusterTarget(endpoints, cluster, (members) => members.of('*'));
  },
};
