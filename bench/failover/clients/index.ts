import { mariadbClusterKit } from '../mariadb/cluster';
import { pgClusterKit } from '../postgres/cluster';
import type { BenchClient, ClusterKit } from '../types';
import { awsWrapperMysql, awsWrapperPg } from './aws-wrapper';
import { failoverPoolMysql } from './mysql-failover-pool';
import { mariadbCluster } from './mysql-mariadb-cluster';
import { poolClusterMysql } from './mysql-pool-cluster';
import { failoverPoolPg } from './pg-failover-pool';
import { postgresJsPg } from './pg-postgres-js';
import { rawPg } from './pg-raw';
import { promotingMysql, promotingPg } from './promoting-failover-pool';

/**
 * Every engine's cluster kit and the clients measured on it, in the order the bench runs them. The
 * last runs only where the library promotes (its own scenarios), the others only where the harness does.
 */
export const ENGINES: readonly { kit: ClusterKit; clients: readonly BenchClient[] }[] = [
  { kit: pgClusterKit, clients: [failoverPoolPg, postgresJsPg, rawPg, awsWrapperPg, promotingPg] },
  {
    kit: mariadbClusterKit,
    clients: [failoverPoolMysql, poolClusterMysql, mariadbCluster, awsWrapperMysql, promotingMysql],
  },
];

/** Clients that run in a child process under Node 22 (skipped by --no-peers and --smoke). */
export const NEEDS_NODE22 = new Set<string>([awsWrapperPg.name, awsWrapperMysql.name]);
