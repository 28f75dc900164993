import { mariadbUnavailable, startBenchMariadbCluster } from '../../lib/mariadb-cluster';
import { harnessKit, WRITES_SETUP } from '../harness-kit';
import { watchWritable } from './writable-watch';

export const mariadbClusterKit = harnessKit({
  engine: 'mysql',
  unavailable: mariadbUnavailable,
  start: (replication) => startBenchMariadbCluster({ semiSync: replication === 'sync' }, WRITES_SETUP),
  version: (cluster) => `${cluster.serverVersion} (${cluster.binaries.server})`,
  watchWritable,
});
