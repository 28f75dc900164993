import { startBenchPgCluster } from '../../lib/pg-cluster';
import { harnessKit } from '../harness-kit';
import { SERVER_SETTINGS } from '../receive-timeouts';
import { watchWritable } from './writable-watch';

export const pgClusterKit = harnessKit({
  engine: 'postgres',
  start: (scenario, setup) =>
    startBenchPgCluster(
      {
        synchronous: scenario.replication === 'sync',
        serverSettings: SERVER_SETTINGS.postgres[scenario.timeouts],
      },
      setup,
    ),
  version: (cluster) => `PostgreSQL ${cluster.serverVersion} (${cluster.source})`,
  watchWritable,
  async synchronousState(cluster, node) {
    const [row] = await cluster.query<{ names: string }>(
      node,
      "SELECT current_setting('synchronous_standby_names') AS names",
      [],
      { timeoutMs: 5_000 },
    );
    return `new primary ${node}: synchronous_standby_names '${row?.names ?? ''}'`;
  },
});
