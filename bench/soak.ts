/**
 * `npx tsx bench/soak.ts [--failovers N] [--engine postgres|mariadb] [--every N] [--pause MS] [--smoke]`: N failovers
 * in a row (default 1000) on one 3-node cluster with synchronous replication, under steady writes
 * from one failover-pool pool; switchover, kill -9 and hang in turn, each of whichever node is primary.
 * At start and every `--every` failovers (default 100) it measures this process (descriptors, sockets,
 * the pool's listeners, active handles, heap after GC) and the writes (acknowledged, lost, errors),
 * and says at the end whether each figure stayed flat. A step that fails is recorded and the soak goes
 * on; the cluster is destroyed whatever happens (Ctrl-C: after the current failover; twice: at once).
 * --smoke: 6 failovers, measured every 2.
 */
import { describeMachine, machineInfo } from './lib/machine';
import { sleep, within } from './lib/time';
import { type AppPool, openAppPool } from './soak/app-pool';
import { onInterrupt, parseBenchFlags } from './soak/cli';
import { type EngineCluster, engineUnavailable, startEngineCluster } from './soak/clusters';
import { FAILOVER_KINDS, failOver, makeWhole } from './soak/failovers';
import { WriteLedger } from './soak/ledger';
import { lostWrites } from './soak/lost';
import { sampleProcess } from './soak/process-stats';
import { type Checkpoint, checkpointTable, FailoverTally, flatnessLines } from './soak/report';
import { startWriters, WRITES_TABLE } from './soak/writer';

const { smoke, engine, counts } = parseBenchFlags({
  failovers: [1000, 6],
  every: [100, 2],
  pause: [10, 10],
});
const { failovers, every } = counts;
/** Each caller's pause between writes: a longer one keeps the table (and each rejoin) smaller. */
const PAUSE_MS = counts.pause;
/** Writes on the new primary between failovers, so every failover happens under load. */
const BETWEEN_MS = smoke ? 500 : 1_000;
const CALLERS = 4;

const machine = machineInfo();
console.log(`Soak on ${describeMachine(machine)}; ${machine.date}`);
const unavailable = engineUnavailable(engine);
if (unavailable) {
  console.log(`Skipping ${engine}: ${unavailable}`);
  process.exit(0);
}

const started = performance.now();
const ledger = new WriteLedger();
const checkpoints: Checkpoint[] = [];
const tally = new FailoverTally();
const repairs: string[] = [];
let ec: EngineCluster | undefined;
let pool: AppPool | undefined;
let writers: ReturnType<typeof startWriters> | undefined;
let failed = false;
const indent = (text: string) => text.replace(/^/gm, '    ');
const interrupt = onInterrupt(() => ec?.cluster.destroy());

/** Before a measurement, writes go on this long: past the pool's fast probing after a change (3 s). */
const QUIET_MS = 4_000;

async function checkpoint(done: number): Promise<void> {
  if (!ec || !pool) return;
  // Every checkpoint follows a different kind of failover: measured once the pool has settled.
  if (done > 0) await sleep(QUIET_MS);
  const window = ledger.takeWindow();
  const sample = sampleProcess(pool);
  const lost = await lostWrites(ec, ledger).catch(() => undefined);
  const row = {
    failovers: done,
    elapsedMs: performance.now() - started,
    acked: ledger.acked,
    lost,
    ...window,
    sample,
  };
  checkpoints.push(row);
  console.log(
    checkpointTable([row])
      .split('\n')
      .slice(done === 0 ? 0 : 2)
      .join('\n'),
  );
}

try {
  ec = await startEngineCluster(engine, { replication: 'sync', setup: [WRITES_TABLE] });
  console.log(
    `${ec.server}; ${failovers} failovers (${FAILOVER_KINDS.join(', ')} in turn), ${CALLERS} callers pausing ${PAUSE_MS} ms\n`,
  );
  pool = await openAppPool(engine, ec.cluster.connectionOptions);
  writers = startWriters(pool, ledger, CALLERS, PAUSE_MS);
  await sleep(2_000);
  await checkpoint(0);
  for (let i = 1; i <= failovers && !interrupt.requested; i++) {
    const repaired = await makeWhole(ec).catch((error: unknown) => [
      `could not make the cluster whole: ${error}`,
    ]);
    for (const what of repaired) repairs.push(`before failover ${i}: ${what}`);
    const outcome = await failOver(ec, FAILOVER_KINDS[(i - 1) % FAILOVER_KINDS.length] ?? 'switchover');
    tally.add(outcome);
    if (outcome.failed || smoke || i % 25 === 0) {
      const how = outcome.failed ? `FAILED at ${outcome.failed.step}: ${outcome.failed.message}` : `ok`;
      console.log(
        `  #${i} ${outcome.kind} ${outcome.from} -> ${outcome.to ?? '?'} ${Math.round(outcome.tookMs)} ms ${how}`,
      );
    }
    await sleep(BETWEEN_MS);
    if (i % every === 0 || i === failovers) await checkpoint(i);
  }
  // Stopped early (Ctrl-C): the figures of the failovers run so far.
  if (checkpoints.at(-1)?.failovers !== tally.count) await checkpoint(tally.count);
} catch (error) {
  failed = true;
  console.error(`The soak stopped: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await writers?.stop(5_000);
  const final = ec ? await lostWrites(ec, ledger).catch((error: unknown) => `unreadable: ${error}`) : 'n/a';
  if (pool)
    await within(
      pool.end().catch(() => undefined),
      5_000,
      undefined,
    );
  await ec?.cluster.destroy();
  console.log(
    `\n${ec?.server ?? engine}: ${tally.count} failovers in ${Math.round((performance.now() - started) / 1000)} s`,
  );
  console.log(`\n${checkpointTable(checkpoints)}\n`);
  for (const line of flatnessLines(checkpoints)) console.log(`- ${line}`);
  console.log(`\n${tally.table()}\n`);
  const errors = [...ledger.errors].map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  console.log(
    `Writes acknowledged ${ledger.acked} of ${ledger.issued}; lost at the end ${final} (synchronous replication: 0 expected); errors ${errors}`,
  );
  for (const [n, { index, outcome: o }] of tally.failures.entries()) {
    console.log(
      `- failover ${index} (${o.kind} of ${o.from}) failed at ${o.failed?.step}: ${o.failed?.message}`,
    );
    // The server's log tail, for the first few: the reason is usually there.
    if (n < 3) console.log(indent(o.failed?.detail.split('\n').slice(-12).join('\n') ?? ''));
  }
  for (const what of repairs) console.log(`- repaired ${what}`);
  console.log(`${tally.failures.length} failed step(s), ${repairs.length} repair(s)`);
}
process.exit(failed ? 1 : 0);
