import { expect } from 'vitest';
import { type GaleraCluster, harness } from '../../../src/testing';
import { processesIn } from './processes';
import { skipOrFail } from './required-servers';

/** Why Galera cannot run here (the suite is skipped), or undefined; `what` names the tests for the message. */
export function galeraUnavailable(what: string): string | undefined {
  const reason = harness.missingServer('galera');
  if (reason) skipOrFail(`MariaDB Galera (${what})`, reason);
  return reason;
}

/** Ends the pools, destroys the cluster, and checks that none of its server processes is left. */
export async function endGaleraSuite(
  cluster: GaleraCluster | undefined,
  pools: readonly ({ end(): Promise<void> } | undefined)[],
): Promise<void> {
  for (const pool of pools) await pool?.end();
  const baseDir = cluster?.baseDir;
  await cluster?.destroy();
  if (baseDir) expect(processesIn(baseDir)).toEqual([]);
}
