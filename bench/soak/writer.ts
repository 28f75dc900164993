import { sleep, within } from '../lib/time';
import type { AppPool } from './app-pool';
import { errorCode } from './errors';
import type { WriteLedger } from './ledger';

/** The soak's table: one row per write, its id unique. */
export const WRITES_TABLE = 'CREATE TABLE writes (id BIGINT PRIMARY KEY)';

/**
 * Steady writes through one pool: `callers` loops, each inserting a fresh id, then pausing `pauseMs`
 * (a steady rate, not a saturating one, on a 2-core machine), recording every outcome in the ledger.
 */
export function startWriters(
  pool: AppPool,
  ledger: WriteLedger,
  callers: number,
  pauseMs: number,
): { stop(graceMs: number): Promise<void> } {
  let running = true;
  const caller = async () => {
    while (running) {
      const id = ledger.issue();
      try {
        await pool.query('INSERT INTO writes(id) VALUES (?)', [id]);
        ledger.ack(id, performance.now());
      } catch (error) {
        ledger.fail(errorCode(error));
      }
      await sleep(pauseMs);
    }
  };
  const loops = Array.from({ length: callers }, caller);
  return {
    async stop(graceMs) {
      running = false;
      // A write stuck on a hung node must not hold the soak: its outcome is not counted either way.
      await within(Promise.all(loops), graceMs, []);
    },
  };
}
