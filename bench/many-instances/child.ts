/**
 * One app instance of the many-instances bench (started by instances.ts): its own process, so that its
 * monitor probes on its own event loop as one process of a scaled-out app does; its own failover-pool
 * pool with the library's defaults. Idle until told to write; then one row every `everyMs`.
 */
import { outageGap } from '../lib/gap';
import { epochMs, sleep } from '../lib/time';
import { type AppPool, openAppPool } from '../soak/app-pool';
import { errorCode } from '../soak/errors';
import type { FromInstance, ToInstance } from './protocol';

const INSERT = 'INSERT INTO instance_writes(instance, seq) VALUES (?, ?)';
const send = (message: FromInstance) => process.send?.(message);

let pool: AppPool | undefined;
let instance = 0;
let seq = 0;
let writing = false;
let loop: Promise<void> = Promise.resolve();
/** When each write was acknowledged, in order. */
const acks: number[] = [];
const errors: Record<string, number> = {};

async function insert(): Promise<void> {
  try {
    await pool?.query(INSERT, [instance, seq++]);
    acks.push(epochMs());
  } catch (error) {
    const code = errorCode(error);
    errors[code] = (errors[code] ?? 0) + 1;
  }
}

async function handle(message: ToInstance): Promise<FromInstance | undefined> {
  switch (message.type) {
    case 'open':
      instance = message.instance;
      pool = await openAppPool(message.engine, message.connection);
      await pool.query(INSERT, [instance, seq++]);
      return { type: 'opened' };
    case 'write':
      writing = true;
      loop = (async () => {
        while (writing) {
          await insert();
          await sleep(message.everyMs);
        }
      })();
      return { type: 'writing' };
    case 'report': {
      const gap = outageGap(acks, message.faultAt, message.writableAt);
      return {
        type: 'report',
        report: { acked: acks.length, errors: { ...errors }, outageMs: gap ? gap.to - gap.from : null },
      };
    }
    case 'close':
      writing = false;
      // A write stuck on a dead node must not keep the process: the bench kills it after a grace.
      await Promise.race([loop, sleep(2_000)]);
      await pool?.end().catch(() => undefined);
      send({ type: 'closed' });
      process.exit(0);
  }
}

process.on('message', (message: ToInstance) => {
  handle(message).then(
    (answer) => answer && send(answer),
    (error: unknown) =>
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
});
// An error outside any call would crash a real app: counted with the writes' errors instead.
process.on('uncaughtException', (error) => {
  const code = `uncaught ${errorCode(error)}`;
  errors[code] = (errors[code] ?? 0) + 1;
});
// The bench went away (killed, crashed): so does the instance.
process.on('disconnect', () => process.exit(0));
