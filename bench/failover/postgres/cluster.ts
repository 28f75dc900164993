import { startBenchPgCluster } from '../../lib/pg-cluster';
import { harnessKit, WRITES_SETUP } from '../harness-kit';
import { watchWritable } from './writable-watch';

export const pgClusterKit = harnessKit({
  engine: 'postgres',
  start: (replication) => startBenchPgCluster({ synchronous: replication === 'sync' }, WRITES_SETUP),
  version: (cluster) => `PostgreSQL ${cluster.serverVersion} (${cluster.source})`,
  watchWritable,
});
