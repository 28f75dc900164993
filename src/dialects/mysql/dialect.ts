import type { Dialect } from '../../core/dialect';
import { compareMysqlFamilyPositions, mysqlFamilyHolds } from '../positions';
import { classifyMysqlError } from './errors';
import { mysqlHeartbeat } from './heartbeat';
import { mysqlOperations } from './operations';
import { createMysqlProber } from './probe';
import { runningSessionsSql, SESSION_WRITABLE_SQL } from './session';
import { mysqlTransactions } from './transactions';
import { truthy } from './values';

export { SESSION_WRITABLE_SQL };

/**
 * MySQL and MariaDB, whole: probe (probe.ts says how roles, generations and identities are read),
 * errors, transactions and node operations. The two servers are told apart by their version
 * string where their SQL differs (flavour.ts).
 */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  defaultPort: 3306,
  createProber: createMysqlProber,
  sessionWritableSql: SESSION_WRITABLE_SQL,
  sessionWritable: (row) => row !== undefined && !truthy(row.read_only),
  classifyError: classifyMysqlError,
  runningSessionsSql,
  transactions: mysqlTransactions,
  operations: mysqlOperations,
  comparePositions: compareMysqlFamilyPositions,
  holdsPosition: mysqlFamilyHolds,
  heartbeat: mysqlHeartbeat,
};
