import { openPromotingPool } from '../../promotion/app-pool';
import { type PromotionRecord, recordPromotionEvents } from '../../promotion/events';
import { type AppInstance, startInstances } from '../../promotion/instances';
import type { BenchClient, Engine } from '../types';

/** App instances besides the writer, each a process of its own with its own pool. */
const OTHER_INSTANCES = 2;
const OTHER_WRITE_EVERY_MS = 100;

/**
 * failover-pool with promotion by the library, as a scaled-out app runs it: the writer the bench
 * measures is app instance 1 (its pool in the bench's process); instances 2 and 3 run in child
 * processes, each with its own pool (promotion on, the same least-privileged account), writing a
 * little. Nobody else promotes: every `promoted` event of the three is counted.
 */
function promotingClient(engine: Engine, factory: string): BenchClient {
  return {
    name: 'failover-pool + promotion',
    engine,
    promoter: 'library',
    setup:
      `${factory}({ hosts: [all three], promotion: { enabled: true, user, password } }), library defaults ` +
      `(detectAfterMs 500, monitor 1 s / fast 50 ms), beside ${OTHER_INSTANCES} more app instances ` +
      `(child processes, own pools, promotion on, one write every ${OTHER_WRITE_EVERY_MS} ms); nobody else promotes`,
    async open(endpoints) {
      const pool = await openPromotingPool(endpoints);
      const records: PromotionRecord[] = [];
      recordPromotionEvents(pool.events, 1, (record) => records.push(record));
      let others: AppInstance[];
      try {
        others = await startInstances(
          Array.from({ length: OTHER_INSTANCES }, (_, i) => ({
            endpoints,
            instance: i + 2,
            writeEveryMs: OTHER_WRITE_EVERY_MS,
          })),
        );
      } catch (error) {
        await pool.end();
        throw error;
      }
      return {
        insert: async (id) => {
          await pool.query('INSERT INTO writes(id) VALUES (?)', [id]);
        },
        close: async () => {
          await Promise.all([pool.end(), ...others.map((other) => other.close())]);
        },
        get incidents() {
          return others.flatMap((other) => other.incidents);
        },
        promotions: () => [...records, ...others.flatMap((other) => other.records)],
      };
    },
  };
}

export const promotingPg = promotingClient('postgres', 'createPgPool');
export const promotingMysql = promotingClient('mysql', 'createMysqlPromisePool');
