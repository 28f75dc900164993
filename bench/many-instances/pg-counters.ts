import pg from 'pg';
import type { PgCluster } from '../../src/testing';
import { epochMs } from '../lib/time';
import type { EngineCluster } from '../soak/clusters';
import { counted, noSessions, type ServerCounters, type StatementCounts, sampleEvery } from './counters';

/** The server settings this needs: pg_stat_statements loaded, and room for 2 connections per instance and node. */
export const PG_SETTINGS = { shared_preload_libraries: 'pg_stat_statements', max_connections: 400 };

/**
 * PostgreSQL's counts: pg_stat_statements by the app's role (the probe is the statement that asks
 * pg_is_in_recovery() AS in_recovery), else the app database's transactions (each probe is one);
 * new connections from pg_stat_activity's backend_start of the app's sessions, polled every 100 ms
 * (a session shorter than that is missed).
 */
export async function pgCounters(ec: EngineCluster & { cluster: PgCluster }): Promise<ServerCounters> {
  const { cluster } = ec;
  const statements = await ec
    .admin(cluster.primary, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
    .then(
      () => true,
      () => false,
    );
  const user = cluster.connectionOptions.user;
  const sql = statements
    ? `SELECT coalesce(sum(calls) FILTER (WHERE query LIKE '%AS in_recovery%'), 0)::float8 AS probes,
              coalesce(sum(calls), 0)::float8 AS statements
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '${user}'`
    : `SELECT NULL AS probes, (xact_commit + xact_rollback)::float8 AS statements
         FROM pg_stat_database WHERE datname = '${cluster.connectionOptions.database}'`;
  return {
    method: statements
      ? 'pg_stat_statements, calls by the app role (probes: the statement reading pg_is_in_recovery())'
      : 'pg_stat_database xact_commit + xact_rollback of the app database (no pg_stat_statements)',
    async read(node): Promise<StatementCounts> {
      const [row] = await ec.admin<{ probes: number | null; statements: number }>(node, sql);
      return { probes: row?.probes ?? row?.statements ?? 0, statements: row?.statements ?? 0 };
    },
    async watchConnections(nodes) {
      const since = epochMs();
      const seen = new Map(nodes.map((node) => [node, new Map<string, number>()]));
      const sessions = new Map(nodes.map((node) => [node, noSessions()]));
      const watches = await Promise.all(
        nodes.map(async (node) => {
          const client = new pg.Client({
            host: '127.0.0.1',
            port: cluster.node(node).port,
            user: cluster.superuser.user,
            database: 'postgres',
          });
          client.on('error', () => undefined);
          await client.connect();
          const mine = seen.get(node) as Map<string, number>;
          return sampleEvery(
            async () => {
              const { rows } = await client.query<{ pid: number; started: number }>(
                `SELECT pid, extract(epoch FROM backend_start)::float8 * 1000 AS started FROM pg_stat_activity WHERE usename = $1`,
                [user],
              );
              for (const { pid, started } of rows)
                if (started >= since) mine.set(`${pid}@${started}`, started);
              counted(sessions.get(node) ?? noSessions(), rows.length);
            },
            () => client.end(),
          );
        }),
      );
      return {
        async stop() {
          await Promise.all(watches.map((watch) => watch.stop()));
          for (const [node, starts] of seen)
            sessions.get(node)?.arrivals.push(...[...starts.values()].sort((a, b) => a - b));
          return sessions;
        },
      };
    },
  };
}
