import { mariadbUnavailable, startBenchMariadbCluster } from '../../lib/mariadb-cluster';
import { harnessKit } from '../harness-kit';
import { SERVER_SETTINGS } from '../receive-timeouts';
import { withHeartbeat } from './heartbeat';
import { watchWritable } from './writable-watch';

export const mariadbClusterKit = harnessKit({
  engine: 'mysql',
  unavailable: mariadbUnavailable,
  start: async (scenario, setup) =>
    withHeartbeat(
      await startBenchMariadbCluster(
        {
          semiSync: scenario.replication === 'sync',
          serverSettings: SERVER_SETTINGS.mysql[scenario.timeouts],
        },
        setup,
      ),
      scenario.timeouts,
    ),
  version: (cluster) => `${cluster.serverVersion} (${cluster.binaries.server})`,
  watchWritable,
  async synchronousState(cluster, node) {
    const [row] = await cluster.query<{ on: number | string }>(
      node,
      'SELECT @@global.rpl_semi_sync_master_enabled AS `on`',
      [],
      { timeoutMs: 5_000 },
    );
    return `new primary ${node}: rpl_semi_sync_master_enabled ${Number(row?.on) === 1 ? 'ON' : 'OFF'}`;
  },
});
