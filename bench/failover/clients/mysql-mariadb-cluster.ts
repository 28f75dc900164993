import mariadb from 'mariadb';
import type { BenchClient } from '../types';
import { poolClusterTarget } from './endpoints';

/**
 * The `mariadb` connector's PoolCluster with every node, writing through the `ORDER` selector (the first
 * node that accepts a connection; the default `RR` would send writes to replicas). It knows nothing of
 * roles either: after a failed connect it skips the node for `restoreNodeTimeout` (1 s) and never
 * removes it (`removeNodeErrorCount` is unlimited). Other settings are the connector's defaults
 * (connectTimeout 1 s, acquireTimeout 10 s, no query timeout).
 */
export const mariadbCluster: BenchClient = {
  name: 'mariadb PoolCluster',
  engine: 'mysql',
  setup:
    "mariadb createPoolCluster({ defaultSelector: 'ORDER' }), add(node1..3), of(null, 'ORDER'), defaults (connectionLimit 10 per node)",
  async open(endpoints) {
    // Its patterns are regular expressions ('*' is not one); none means every node.
    return poolClusterTarget(endpoints, mariadb.createPoolCluster({ defaultSelector: 'ORDER' }), (cluster) =>
      cluster.of(null, 'ORDER'),
    );
  },
};
