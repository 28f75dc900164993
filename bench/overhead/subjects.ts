import pg from 'pg';
import type { PgCluster } from '../../src/testing';
import { builtPg } from '../lib/built-package';

const { createPgPool } = await builtPg();

import type { OverheadEngine } from './workloads';

/** Something that runs one statement; both sides of a comparison are driven through this. */
export interface Runner {
  query(sql: string, params: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A raw driver pool and failover-pool's pool for the same engine, on the same primary, with the same
 * pool size. PostgreSQL has one (below); MariaDB has two, one per mysql2 API (mysql-subjects.ts).
 */
export interface OverheadPair {
  readonly engine: OverheadEngine;
  readonly raw: string;
  readonly ours: string;
  open(side: Side, poolSize: number): Runner;
}

export type Side = 'raw' | 'ours';

export function pgPair(cluster: PgCluster): OverheadPair {
  const { user, password, database, hosts } = cluster.connectionOptions;
  const primary = cluster.node(cluster.primary);
  return {
    engine: 'postgres',
    raw: 'pg.Pool',
    ours: 'createPgPool',
    open(side, poolSize) {
      if (side === 'raw') {
        const raw = new pg.Pool({
          host: primary.host,
          port: primary.port,
          user,
          password,
          database,
          max: poolSize,
        });
        raw.on('error', () => undefined);
        return { query: (sql, params) => raw.query(sql, params), close: () => raw.end() };
      }
      // Every node listed, as an app would: the monitor probes all three while the bench runs.
      const ours = createPgPool({ hosts, user, password, database, max: poolSize });
      return { query: (sql, params) => ours.query(sql, params), close: () => ours.end() };
    },
  };
}
