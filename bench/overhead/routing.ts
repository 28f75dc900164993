import { systemClock } from '../../src/core/clock';
import { ConnectionState } from '../../src/core/connection-state';
import type { Driver } from '../../src/core/driver';
import { FailoverEngine } from '../../src/core/engine';
import type { NodeAddress, NodeProbe } from '../../src/core/node';
import type { NodePool } from '../../src/core/node-pool';
import { resolveFailoverOptions, resolveMonitorOptions } from '../../src/core/options';
import { Router } from '../../src/core/router';
import { deriveTopology } from '../../src/core/topology';
import { postgresDialect } from '../../src/dialects/postgres/dialect';
import { median } from '../lib/stats';
import { sleep } from '../lib/time';

export interface RoutingFigures {
  /** Router.primary() with a known primary: the per-statement routing decision. */
  routerPrimaryNs: number;
  /** FailoverEngine.run() around a no-op statement on a fake pool, no I/O: all engine bookkeeping. */
  engineRunNs: number;
  /** The same acquire / run / release on the fake pool without the engine, awaited the same way. */
  baselineNs: number;
  /** engineRunNs - baselineNs: what the engine adds per statement. */
  engineAddedNs: number;
}

const NODES: NodeAddress[] = [1, 2, 3].map((i) => ({
  name: `10.0.0.${i}:5432`,
  host: `10.0.0.${i}`,
  port: 5432,
}));

const probeOf = (node: NodeAddress): NodeProbe => {
  const primary = node === NODES[0];
  return {
    role: primary ? 'primary' : 'replica',
    writable: primary,
    generation: 1,
    identity: 'bench',
    positionBytes: 0n,
  };
};

/** Median ns per call of `fn` over `repeats` timed batches of `n` calls. */
async function nsPerCall(n: number, repeats: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    samples.push(((performance.now() - t0) * 1e6) / n);
  }
  return median(samples);
}

function routerPrimaryNs(): number {
  const states = NODES.map((address) => ({
    address,
    probe: probeOf(address),
    healthy: true,
    suspect: false,
    known: true,
  }));
  const { snapshot } = deriveTopology(states, { generation: 0 }, 1);
  const router = new Router(
    snapshot,
    { maxWaiting: 10, waitForPrimaryOption: 'failover.waitForPrimaryMs' },
    systemClock,
    () => undefined,
  );
  const deadline = performance.now() + 60_000;
  let sink = 0;
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const n = 1_000_000;
    const t0 = performance.now();
    // Keep each result alive so the call cannot be optimised away.
    for (let i = 0; i < n; i++) sink += router.primary(deadline) === undefined ? 0 : 1;
    samples.push(((performance.now() - t0) * 1e6) / n);
  }
  if (sink === 0) throw new Error('unreachable');
  return median(samples);
}

async function engineFigures(): Promise<Pick<RoutingFigures, 'engineRunNs' | 'baselineNs'>> {
  const connection = { id: 1 };
  const pool: NodePool<typeof connection> = {
    acquire: (done) => done(undefined, connection),
    release: () => undefined,
    retire: () => undefined,
    failQueued: () => undefined,
    connections: () => [],
    usage: () => ({ open: 1, used: 0 }),
    end: () => Promise.resolve(),
  };
  const state = new ConnectionState();
  // A node answers its probe from its address; connections are always writable and alive.
  const driver: Driver<typeof connection> = {
    dialect: {
      ...postgresDialect,
      createProber: () => async (run) => (await run('probe'))[0]?.probe as NodeProbe,
    },
    createNodePool: () => pool,
    openProbeSession: (node) => ({
      ready: Promise.resolve(),
      run: () => Promise.resolve([{ probe: probeOf(node) }]),
      onFailure: () => undefined,
      destroy: () => undefined,
      end: () => Promise.resolve(),
    }),
    stateOf: () => state,
    reportedWritable: () => true,
    isAlive: () => true,
    sessionIdOf: () => undefined,
    destroy: () => undefined,
    endedError: () => new Error('ended'),
    execute: () => Promise.resolve({ rows: [] }),
  };
  const engine = new FailoverEngine(
    NODES,
    driver,
    resolveFailoverOptions({}),
    resolveMonitorOptions({}),
    () => undefined,
  );
  engine.start();
  try {
    while (!engine.topology().primary) await sleep(5);
    const work = (c: typeof connection) => Promise.resolve(c.id);
    const operation = { reRunnable: false };
    const n = 200_000;
    // Alternate the two so that JIT warm-up and GC hit both.
    const engineRuns: number[] = [];
    const baselines: number[] = [];
    for (let r = 0; r < 5; r++) {
      engineRuns.push(await nsPerCall(n, 1, () => engine.run(operation, work)));
      baselines.push(
        await nsPerCall(n, 1, async () => {
          const c = await new Promise<typeof connection>((resolve) =>
            pool.acquire((_error, got) => resolve(got as typeof connection)),
          );
          await work(c);
          pool.release(c, false);
        }),
      );
    }
    return { engineRunNs: median(engineRuns), baselineNs: median(baselines) };
  } finally {
    await engine.end();
  }
}

export async function measureRouting(): Promise<RoutingFigures> {
  const router = routerPrimaryNs();
  const { engineRunNs, baselineNs } = await engineFigures();
  const r = (n: number) => Math.round(n * 10) / 10;
  return {
    routerPrimaryNs: r(router),
    engineRunNs: r(engineRunNs),
    baselineNs: r(baselineNs),
    engineAddedNs: r(engineRunNs - baselineNs),
  };
}
