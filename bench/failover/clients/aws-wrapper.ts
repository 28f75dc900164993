import { join } from 'node:path';
import { NODE22_BIN, node22PeersMissing, REPO_ROOT } from '../../peers/paths';
import { openRemoteTarget } from '../remote/remote-target';
import type { BenchClient, Engine } from '../types';

/**
 * The AWS Advanced NodeJS Wrapper (its pg or its mysql2 flavour) with its failover plugin, pointed at
 * the first host as its docs show (it learns the other nodes from Aurora/RDS topology functions, which
 * a self-managed cluster does not have). It needs Node >= 22.9, so it runs in a child process under
 * Node 22 (bench/failover/remote/aws-child.ts).
 */
function awsWrapper(engine: Engine, clientClass: string): BenchClient {
  return {
    name: 'aws-advanced-nodejs-wrapper',
    engine,
    setup: `${clientClass}({ host: first host, plugins: 'failover,efm2' }) x 4 (one per caller), Node 22`,
    unavailable: node22PeersMissing,
    open(endpoints) {
      return openRemoteTarget(endpoints, {
        node: NODE22_BIN,
        args: ['--import', 'tsx', join(REPO_ROOT, 'bench', 'failover', 'remote', 'aws-child.ts')],
        cwd: REPO_ROOT,
        poolSize: 4,
      });
    },
  };
}

export const awsWrapperPg = awsWrapper('postgres', 'AwsPGClient');
export const awsWrapperMysql = awsWrapper('mysql', 'AwsMySQLClient');
