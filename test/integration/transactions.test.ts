import { describe } from 'vitest';
import type { EngineFixture } from './support/engine-fixture';
import { engineFixtures } from './support/fixtures';
import { transactionTests } from './support/transaction-scenarios';

/**
 * pool.transaction on real clusters of every engine (PostgreSQL's pg pool, MariaDB's mysql2 promise
 * pool): the scenarios of support/transaction-scenarios.ts. "Synchronous" is PostgreSQL synchronous
 * replication and MariaDB lossless semi-sync (AFTER_SYNC).
 */
describe.each(engineFixtures())('pool.transaction on %s', (_name, fixture: EngineFixture) => {
  transactionTests(fixture);
});
