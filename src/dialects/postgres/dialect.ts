import type { Dialect } from '../../core/dialect';
import { comparePgPositions } from '../positions';
import { classifyPostgresError } from './errors';
import { postgresOperations } from './operations';
import { createPostgresProber } from './probe';
import { runningSessionsSql, SESSION_WRITABLE_SQL } from './session';
import { postgresTransactions } from './transactions';

/** PostgreSQL, whole: probe, errors, transactions and node operations (each in its own file here). */
export const postgresDialect: Dialect = {
  name: 'postgres',
  defaultPort: 5432,
  createProber: createPostgresProber,
  sessionWritableSql: SESSION_WRITABLE_SQL,
  sessionWritable: (row) => row?.writable === true,
  classifyError: classifyPostgresError,
  runningSessionsSql,
  transactions: postgresTransactions,
  operations: postgresOperations,
  comparePositions: comparePgPositions,
  // A promoted primary's lineage is the WAL it had replayed: everything it holds of the old history.
  holdsPosition: (lineage, position) => {
    const order = comparePgPositions(lineage, position);
    return order === undefined ? undefined : order >= 0;
  },
};
