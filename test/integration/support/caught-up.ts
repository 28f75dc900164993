import type { Dialect, Row, RunSql } from '../../../src/core/dialect';

/**
 * Resolves once node2 and node3 have applied everything node1 had committed when called (what a
 * test created on the primary, such as an account, is then on every replica).
 */
export async function replicasCaughtUp(
  dialect: Dialect,
  query: (node: string, sql: string, values?: unknown[]) => Promise<Row[]>,
): Promise<void> {
  const runOn =
    (node: string): RunSql =>
    (sql, values) =>
      query(node, sql, values as unknown[] | undefined);
  const position = await dialect.operations.currentPosition(runOn('node1'));
  for (const replica of ['node2', 'node3']) {
    if (!(await dialect.operations.waitForPosition(runOn(replica), position, 30_000))) {
      throw new Error(`${replica} did not apply node1's position ${position} within 30 s.`);
    }
  }
}
