/**
 * One app instance of the promotion benches, in a process of its own (started by instances.ts): a
 * failover-pool pool with promotion by the library, inserting one row every `writeEveryMs`. It
 * sends its promotion events as they happen and, when asked, its outage across the fault. Its own
 * process, so that its monitor and promoter run on their own event loop, as in a scaled-out app.
 */
import { errorClass } from '../failover/measure';
import { outageGap } from '../lib/gap';
import { epochMs, sleep } from '../lib/time';
import { openPromotingPool, type PromotingPool } from './app-pool';
import { recordPromotionEvents } from './events';
import type { FromInstance, InstanceSpec, ToInstance } from './protocol';

const send = (message: FromInstance) => process.send?.(message);
const incident = (what: string) => (error: unknown) =>
  send({ type: 'incident', what, message: error instanceof Error ? error.message : String(error) });
process.on('unhandledRejection', incident('unhandledRejection'));
process.on('uncaughtException', incident('uncaughtException'));

const INSERT = 'INSERT INTO instance_writes(instance, seq) VALUES (?, ?)';

let pool: PromotingPool | undefined;
let running = false;
let writing: Promise<void> = Promise.resolve();
/** When each acknowledged write was acknowledged, in order. */
const acks: number[] = [];
const errors: Record<string, number> = {};

async function writeLoop(spec: InstanceSpec, first: number): Promise<void> {
  for (let seq = first; running; seq++) {
    try {
      await pool?.query(INSERT, [spec.instance, seq]);
      acks.push(epochMs());
    } catch (error) {
      const name = errorClass(error);
      errors[name] = (errors[name] ?? 0) + 1;
    }
    if (running) await sleep(spec.writeEveryMs);
  }
}

async function open(spec: InstanceSpec): Promise<void> {
  try {
    pool = await openPromotingPool(spec.endpoints);
    recordPromotionEvents(pool.events, spec.instance, (record) => send({ type: 'event', record }));
    // The first write finds the primary: a pool that never saw one promotes nothing.
    await pool.query(INSERT, [spec.instance, 0]);
    acks.push(epochMs());
    running = true;
    writing = writeLoop(spec, 1);
    send({ type: 'opened' });
  } catch (error) {
    send({ type: 'open-failed', message: (error as Error).message });
  }
}

async function close(): Promise<void> {
  running = false;
  // A write stuck on a dead node must not keep the process: the bench kills it after a grace.
  await Promise.race([writing, sleep(2_000)]);
  await pool?.end().catch(() => undefined);
  send({ type: 'closed' });
  process.exit(0);
}

process.on('message', (raw) => {
  const message = raw as ToInstance;
  if (message.type === 'open') void open(message.spec);
  else if (message.type === 'report') {
    const gap = outageGap(acks, message.faultAt, message.writableAt);
    send({
      type: 'report',
      report: { acked: acks.length, errors: { ...errors }, outageMs: gap ? gap.to - gap.from : null },
    });
  } else if (message.type === 'close') void close();
});
process.on('disconnect', () => process.exit(0));
