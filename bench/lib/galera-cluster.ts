import {
  type GaleraCluster,
  type GaleraClusterOptions,
  harness,
  startGaleraCluster,
} from '../../src/testing';
import { benchClusters } from './test-cluster';

/** Why Galera clusters cannot start here (no mariadbd or no libgalera_smm.so), or undefined when they can. */
export const galeraUnavailable = (): string | undefined => harness.missingServer('galera');

/** A three-node MariaDB Galera cluster for a bench, with its tables; the caller destroys it. */
export const startBenchGaleraCluster = benchClusters<GaleraClusterOptions, GaleraCluster>(
  startGaleraCluster,
).start;
