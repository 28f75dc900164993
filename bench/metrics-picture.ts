/**
 * `npx tsx bench/metrics-picture.ts [--out FILE]` (after `npm run build`): a real failover seen
 * through the pool's OpenTelemetry instruments, drawn as a dashboard would show it, for
 * docs/operations.md. A 3-node PostgreSQL cluster (synchronous replication), one pool with
 * promotion by the library and the OpenTelemetry SDK as its meter provider, 4 callers writing;
 * kill -9 of the primary 2 s in; the SDK is read every 100 ms until 6 s.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startPgCluster } from '../src/testing';
import { testMeterProvider } from '../test/unit/support/metric-reader';
import { builtPg } from './lib/built-package';
import { describeMachine, machineInfo } from './lib/machine';
import { dashboard, type Mark } from './metrics-picture/chart';
import { type Sample, sampleOf } from './metrics-picture/sample';

const KILL_AT_MS = 2_000;
const END_AT_MS = 6_000;
const SAMPLE_EVERY_MS = 100;
const CALLERS = 4;

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/images/metrics-failover.svg' } },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const { createPgPool } = await builtPg();
  const cluster = await startPgCluster({ replicas: 2, synchronous: true });
  try {
    const nameOf = (address: string) =>
      cluster.nodes.find((n) => address.endsWith(`:${n.port}`))?.name ?? address;
    const { user, password } = await cluster.createPromotionAccount();
    const { provider, collect } = testMeterProvider();
    const pool = createPgPool({
      ...cluster.connectionOptions,
      max: 8,
      promotion: { enabled: true, user, password },
      metrics: { meterProvider: provider, poolName: 'shop' },
    });
    await pool.query('CREATE TABLE orders (id bigint PRIMARY KEY)');
    const started = performance.now();
    const at = () => performance.now() - started;
    const marks: Mark[] = [];
    pool.on('promoted', (e) =>
      marks.push({ atMs: at(), label: `promoted ${nameOf(e.node)} (by this pool)` }),
    );
    pool.on('primaryLost', () => marks.push({ atMs: at(), label: 'primary lost' }));

    let acked = 0;
    let next = 1;
    let writing = true;
    const caller = async () => {
      while (writing) {
        const id = next++;
        await pool.query('INSERT INTO orders VALUES ($1)', [id]).then(
          () => acked++,
          () => undefined,
        );
        await sleep(5);
      }
    };
    const callers = Array.from({ length: CALLERS }, caller);
    const samples: Sample[] = [];
    let killed = false;
    let counted = 0;
    while (at() < END_AT_MS) {
      if (!killed && at() >= KILL_AT_MS) {
        cluster.kill('node1', 'SIGKILL');
        marks.push({ atMs: at(), label: 'kill -9 node1' });
        killed = true;
      }
      samples.push(sampleOf(await collect(), at(), acked - counted, nameOf));
      counted = acked;
      await sleep(SAMPLE_EVERY_MS);
    }
    writing = false;
    await Promise.all(callers);
    const figures = pool.metrics();
    await pool.end();
    marks.sort((a, b) => a.atMs - b.atMs);
    const title = `One pool's OpenTelemetry instruments through kill -9 of the primary (PostgreSQL ${cluster.serverVersion}, 3 nodes, sync)`;
    writeFileSync(values.out, dashboard(samples, marks, title));
    console.log(`Wrote ${values.out}`);
    console.log(`pool.metrics(): ${JSON.stringify({ ...figures, nodes: undefined })}`);
    console.log(`${describeMachine(machineInfo())}; ${new Date().toISOString().slice(0, 10)}`);
  } finally {
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
