import type { EngineCluster } from './clusters';
import type { WriteLedger } from './ledger';

const RANGE = 50_000;

/**
 * Acknowledged ids missing on the current primary, read back as the app in ranges of ids (a
 * million-row answer at once would itself swell the heap being watched). Each range's acknowledged
 * ids are copied before it is read, so a write acknowledged while the read runs is not called lost.
 */
export async function lostWrites(ec: EngineCluster, ledger: WriteLedger): Promise<number> {
  const { cluster } = ec;
  const primary = cluster.primary;
  const options = { as: 'app' as const, timeoutMs: 60_000 };
  let lost = 0;
  for (let from = 1; from <= ledger.issued; from += RANGE) {
    const to = Math.min(from + RANGE, ledger.issued + 1);
    const acked = ledger.ackedSnapshot(from, to);
    // Whole numbers only, so they stand in the text: one statement for both engines' placeholders.
    const sql = `SELECT id FROM writes WHERE id >= ${from} AND id < ${to}`;
    const rows = await cluster.query<{ id: number | string }>(primary, sql, [], options);
    for (const row of rows) acked[Number(row.id) - from] = 0;
    for (const flag of acked) lost += flag;
  }
  return lost;
}
