import { type PgCluster, type PgClusterOptions, startPgCluster } from '../../src/testing';
import { benchClusters } from './test-cluster';

const pgClusters = benchClusters<PgClusterOptions, PgCluster>(startPgCluster);

/** A PostgreSQL cluster for a bench, with its tables; the caller destroys it. */
export const startBenchPgCluster = pgClusters.start;
/** Starts a cluster with its tables, hands it to `use`, and destroys it whatever happens. */
export const withPgCluster = pgClusters.with;
