import {
  harness,
  type MariadbCluster,
  type MariadbClusterOptions,
  startMariadbCluster,
} from '../../src/testing';
import { benchClusters } from './test-cluster';

/**
 * Why MariaDB clusters cannot start here (no mariadbd found), or undefined when they can. The benches
 * then skip the MariaDB side and say so, rather than fail every trial.
 */
export const mariadbUnavailable = (): string | undefined => harness.missingServer('mariadb');

const mariadbClusters = benchClusters<MariadbClusterOptions, MariadbCluster>(startMariadbCluster);

/** A MariaDB primary with GTID replicas for a bench, with its tables; the caller destroys it. */
export const startBenchMariadbCluster = mariadbClusters.start;
/** Starts a cluster with its tables, hands it to `use`, and destroys it whatever happens. */
export const withMariadbCluster = mariadbClusters.with;
