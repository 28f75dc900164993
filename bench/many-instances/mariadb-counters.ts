import mysql from 'mysql2/promise';
import type { MariadbCluster } from '../../src/testing';
import { epochMs } from '../lib/time';
import type { EngineCluster } from '../soak/clusters';
import { counted, noSessions, type ServerCounters, type StatementCounts, sampleEvery } from './counters';

/** Room for 2 connections per instance and node (the default is 151). */
export const MARIADB_SETTINGS = { max_connections: 600 };

type StatusRow = { Variable_name: string; Value: string };
const status = (rows: readonly StatusRow[], name: string) =>
  Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);

/**
 * MariaDB's counts, from SHOW GLOBAL STATUS: `Questions` (every statement clients sent, the bench's own
 * reading included: one per reading) and `Com_show_slave_status` (each probe asks the replica status
 * once, after a SELECT of the variables). New connections: the app account's sessions in the process
 * list, polled every 100 ms over a session opened beforehand, each dated by the sample that first
 * showed it (the status counter `Connections` would count the harness's own sessions too, and a session
 * shorter than 100 ms is missed either way).
 */
export function mariadbCounters(ec: EngineCluster & { cluster: MariadbCluster }): ServerCounters {
  const { cluster } = ec;
  return {
    method:
      'SHOW GLOBAL STATUS: Questions (all statements), Com_show_slave_status (one per probe; a probe is one query holding 2 statements)',
    async read(node): Promise<StatementCounts> {
      const rows = await ec.admin<StatusRow>(
        node,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_show_slave_status')",
      );
      return { probes: status(rows, 'Com_show_slave_status'), statements: status(rows, 'Questions') };
    },
    async watchConnections(nodes) {
      const sessions = new Map(nodes.map((node) => [node, noSessions()]));
      const watches = await Promise.all(
        nodes.map(async (node) => {
          const { user, password } = cluster.admin;
          const session = await mysql.createConnection({
            host: '127.0.0.1',
            port: cluster.node(node).port,
            user,
            password,
          });
          session.on('error', () => undefined);
          const mine = sessions.get(node) ?? noSessions();
          // Sessions by id, the first sample's as the baseline. Not "ids above the highest seen": a
          // session still authenticating is not yet the app's, and may show after a later one.
          let known: Set<number> | undefined;
          return sampleEvery(
            async () => {
              const [rows] = await session.query(
                'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?',
                [cluster.connectionOptions.user],
              );
              const at = epochMs();
              const ids = (rows as { id: number }[]).map((r) => Number(r.id));
              for (const id of ids) if (known && !known.has(id)) mine.arrivals.push(at);
              known = new Set([...(known ?? []), ...ids]);
              counted(mine, ids.length);
            },
            () => session.end(),
          );
        }),
      );
      return {
        async stop() {
          await Promise.all(watches.map((watch) => watch.stop()));
          return sessions;
        },
      };
    },
  };
}
