import type { BenchCluster } from './types';

/** Bounds of one read: a node that stopped answering must not hold the bench. */
export interface ReadLimits {
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** Runs one read on a node, as the engine's harness reads it (as the app; causal where that matters). */
export type ReadRows = <R>(node: string, sql: string, limits: ReadLimits) => Promise<R[]>;

const limits = (timeoutMs: number): ReadLimits => ({
  timeoutMs,
  connectTimeoutMs: Math.min(timeoutMs, 5_000),
});

/**
 * How the bench reads the `writes` table back from each node, on every engine: all ids at the end
 * of a trial, and how many of a few ids a node holds while the bench waits for recovery.
 */
export function readBack(read: ReadRows): Pick<BenchCluster, 'idsOn' | 'countOn'> {
  return {
    async idsOn(node) {
      try {
        const rows = await read<{ id: number | string }>(node, 'SELECT id FROM writes', limits(5_000));
        return rows.map((r) => String(r.id));
      } catch {
        return undefined;
      }
    },
    async countOn(node, ids) {
      if (ids.length === 0) return 0;
      // Integers only, so they can stand in the text: one statement for both placeholder styles.
      const list = ids.map((id) => String(Math.trunc(id))).join(',');
      const [row] = await read<{ n: number | string }>(
        node,
        `SELECT COUNT(*) AS n FROM writes WHERE id IN (${list})`,
        limits(2_000),
      );
      return Number(row?.n ?? 0);
    },
  };
}
