import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { FailoverEngine, type Pinned } from '../../src/core/engine';
import {
  NodeUnavailableError,
  NoPrimaryError,
  PoolEndedError,
  SplitBrainError,
  WriteOutcomeUnknownError,
} from '../../src/core/errors';
import { FAILOVER_EVENT_NAMES, type FailoverEvents } from '../../src/core/events';
import { resolveFailoverOptions, resolveMonitorOptions } from '../../src/core/options';
import { PinnedSession } from '../../src/core/pinned-session';
import { decide } from '../../src/core/retry';
import { type Work, workOf } from '../../src/core/work';
import { FakeClock, flush } from './support/fake-clock';
import { FakeCluster, type FakeConnection, FakeError } from './support/fake-cluster';

const engines: FailoverEngine<FakeConnection>[] = [];

function setup(spec: ConstructorParameters<typeof FakeCluster>[0], failover = {}, monitor = {}) {
  const cluster = new FakeCluster(spec);
  const clock = new FakeClock();
  const events = new EventEmitter<FailoverEvents>();
  const seen: { event: string; args: unknown[] }[] = [];
  for (const name of FAILOVER_EVENT_NAMES) {
    events.on(name, (...args: unknown[]) => seen.push({ event: name, args }));
  }
  const engine = new FailoverEngine(
    cluster.addresses,
    cluster,
    resolveFailoverOptions({ retryDelayMs: () => 0, ...failover }),
    resolveMonitorOptions({
      intervalMs: 1000,
      timeoutMs: 500,
      fastIntervalMs: 20,
      settleMs: 200,
      ...monitor,
    }),
    (event, ...args) => events.emit(event, ...(args as never)),
    clock,
  );
  engines.push(engine);
  engine.start();
  const write = (reRunnable = false) =>
    engine.run({ reRunnable }, (connection) => cluster.statement(connection, reRunnable ? 'read' : 'write'));
  /** The payloads of every `name` event so far. */
  const payloads = <K extends keyof FailoverEvents>(name: K) =>
    seen.filter((e) => e.event === name).map((e) => e.args[0] as FailoverEvents[K][0]);
  return { cluster, clock, engine, events, seen, payloads, write };
}

/** `engine.sendPinned`, its outcome as one object. */
function sendPinned<T>(
  engine: FailoverEngine<FakeConnection>,
  pinned: Pinned<FakeConnection>,
  work: Work<FakeConnection, T>,
) {
  return new Promise<{ error: unknown; result: T | undefined; pinned: Pinned<FakeConnection> | undefined }>(
    (resolve) =>
      engine.sendPinned({ reRunnable: false }, pinned, work, (error, result, now) =>
        resolve({ error, result, pinned: now }),
      ),
  );
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.end()));
});

describe('FailoverEngine', () => {
  it('writes to the node that says it is primary, whatever the configuration order', async () => {
    const { clock, write } = setup({ 'a:1': {}, 'b:1': {}, 'c:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    await expect(write()).resolves.toBe('c:1');
  });

  it('makes writes wait for a primary, then sends them to it', async () => {
    const { cluster, clock, write, seen } = setup({ 'a:1': { state: 'down' }, 'b:1': {} });
    const pending = write();
    await clock.advance(300);
    cluster.promote('b:1');
    await clock.advance(30);
    await expect(pending).resolves.toBe('b:1');
    expect(seen.find((e) => e.event === 'primaryChanged')?.args[0]).toMatchObject({ from: null, to: 'b:1' });
  });

  it('re-runs a statement rejected as read-only on the new primary, without the caller seeing it', async () => {
    const { cluster, clock, write, seen } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    // a is demoted and b promoted between two probes: the next write still goes to a.
    Object.assign(cluster.node('a:1'), { role: 'replica', writable: false });
    cluster.promote('b:1');
    const result = write();
    await clock.advance(50);
    await expect(result).resolves.toBe('b:1');
    const retry = seen.find((e) => e.event === 'retry')?.args[0];
    expect(retry).toMatchObject({ attempt: 1, node: 'a:1', reason: 'read-only' });
  });

  it('fails a write whose connection died after sending with WriteOutcomeUnknownError', async () => {
    const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    let runs = 0;
    const result = engine.run({ reRunnable: false }, async () => {
      runs++;
      throw new FakeError('connection-lost', 'Connection terminated unexpectedly');
    });
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(error).toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN', host: 'a', port: 1, attempt: 1 });
    expect((error as Error).cause).toBeInstanceOf(FakeError);
    expect((error as Error).message).toContain('idempotent: true');
    expect(runs).toBe(1);
    expect(cluster.pools.get('a:1')?.destroyed).toBe(1);
  });

  it('re-runs a write marked re-runnable after its connection died', async () => {
    const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    let runs = 0;
    const result = engine.run({ reRunnable: true }, async (connection) => {
      runs++;
      if (runs === 1) throw new FakeError('connection-lost');
      return cluster.statement(connection);
    });
    await clock.advance(50);
    await expect(result).resolves.toBe('a:1');
    expect(runs).toBe(2);
  });

  it('re-runs a statement the node rolled back as it ended the session (57P01) when the node is going away', async () => {
    const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    let runs = 0;
    const result = engine.run({ reRunnable: false }, async (connection) => {
      runs++;
      if (runs === 1) {
        // A switchover: the old primary shuts down, and another node is promoted.
        cluster.node('a:1').state = 'down';
        cluster.promote('b:1');
        throw new FakeError('terminated');
      }
      return cluster.statement(connection);
    });
    await clock.advance(200);
    await expect(result).resolves.toBe('b:1');
    expect(runs).toBe(2);
  });

  it.each([
    ['terminated', 'terminating connection due to administrator command (57P01)'],
    ['killed', 'Connection was killed (MySQL KILL)'],
  ] as const)(
    "passes on a session an operator ended (%s) while its node stays primary: the server's error, run once",
    async (kind, message) => {
      const { clock, engine, payloads } = setup({ 'a:1': { role: 'primary', writable: true } });
      await clock.advance(1);
      let runs = 0;
      const killed = new FakeError(kind, message);
      const result = engine
        .run({ reRunnable: true }, async () => {
          runs++;
          throw killed;
        })
        .catch((error: unknown) => error);
      await clock.advance(200);
      expect(await result).toBe(killed);
      expect(runs).toBe(1);
      expect(payloads('retry')).toHaveLength(0);
    },
  );

  it.each(['not-sent', 'connect-failed'] as const)(
    're-runs after %s (certainly not applied)',
    async (kind) => {
      const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } });
      await clock.advance(1);
      let runs = 0;
      const result = engine.run({ reRunnable: false }, async (connection) => {
        runs++;
        if (runs === 1) throw new FakeError(kind);
        return cluster.statement(connection);
      });
      await clock.advance(50);
      await expect(result).resolves.toBe('a:1');
      expect(runs).toBe(2);
    },
  );

  it("passes the application's own errors through unchanged and runs them once", async () => {
    const { clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    const mine = new Error('duplicate key value violates unique constraint');
    let runs = 0;
    const error = await engine
      .run({ reRunnable: true }, async () => {
        runs++;
        throw mine;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(mine);
    expect(runs).toBe(1);
  });

  it('gives up with NoPrimaryError after failover.waitForPrimaryMs, naming the option', async () => {
    const { clock, write } = setup({ 'a:1': { state: 'down' }, 'b:1': {} }, { waitForPrimaryMs: 1000 });
    const result = write().catch((e: unknown) => e);
    await clock.advance(999);
    await clock.advance(2);
    const error = await result;
    expect(error).toBeInstanceOf(NoPrimaryError);
    expect(error).toMatchObject({ code: 'NO_PRIMARY', reason: 'timeout' });
    expect((error as Error).message).toContain('failover.waitForPrimaryMs');
    expect((error as Error).message).toContain('a:1 down');
  });

  it("fails at once, with the server's own error, when every node refuses the login", async () => {
    const { cluster, clock, write } = setup({ 'a:1': { state: 'refusing' }, 'b:1': { state: 'refusing' } });
    const waiting = write().catch((e: unknown) => e);
    await clock.advance(5);
    const error = await waiting;
    expect(error).toBeInstanceOf(FakeError);
    expect((error as Error).message).toBe('password authentication failed');
    await expect(write()).rejects.toThrow('password authentication failed');
    // Fixed (the password was rotated back): writes go through again.
    Object.assign(cluster.node('a:1'), { state: 'up', role: 'primary', writable: true });
    cluster.node('b:1').state = 'up';
    await clock.advance(1100);
    await expect(write()).resolves.toBe('a:1');
  });

  it('keeps waiting (bounded) when every node hangs: a probe timeout is not a configuration error', async () => {
    const { cluster, clock, write } = setup(
      { 'a:1': { state: 'hung' }, 'b:1': { state: 'hung' } },
      { waitForPrimaryMs: 3000 },
    );
    const waiting = write().catch((e: unknown) => e);
    await clock.advance(1500); // both probes have timed out (500 ms) by now
    cluster.node('a:1').state = 'up';
    cluster.promote('a:1');
    await clock.advance(600);
    await expect(waiting).resolves.toBe('a:1');
  });

  it("does not wait when every node refuses: the caller gets its own attempt's error at once", async () => {
    const { clock, write } = setup({ 'a:1': { state: 'down' }, 'b:1': { state: 'down' } });
    const failed = write().catch((e: unknown) => e);
    await clock.advance(5); // far below failover.waitForPrimaryMs (30 s)
    const error = await failed;
    expect(error).toBeInstanceOf(FakeError);
    expect((error as Error).message).toBe('ECONNREFUSED');
  });

  it('probes again, rather than failing the caller, when a node that refused the probe takes its connection', async () => {
    const { cluster, clock, write } = setup({ 'a:1': { role: 'primary', writable: true, flakyProbes: 1 } });
    const written = write().catch((e: unknown) => e);
    await clock.advance(5);
    expect(await written).toBe('a:1');
    expect(cluster.probes.filter((n) => n === 'a:1').length).toBeGreaterThanOrEqual(2);
  });

  it("fails a pinned connect whose opening failed with that error, without opening it again (the app's hook runs once)", async () => {
    const { cluster, clock, engine, write } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    await write(); // opens the node's pool
    const pool = cluster.pools.get('a:1');
    if (!pool) throw new Error('no pool for a:1');
    const attempts = pool.attempts;
    pool.failNext = new FakeError('application', 'onConnect threw');
    const connecting = engine.acquire().catch((e: unknown) => e);
    await clock.advance(5);
    expect(await connecting).toMatchObject({ message: 'onConnect threw' });
    expect(pool.attempts - attempts).toBe(1);
  });

  it('waits when some node still answers, though not as primary (a promotion under way)', async () => {
    const { cluster, clock, write } = setup(
      { 'a:1': { state: 'down' }, 'b:1': {} },
      { waitForPrimaryMs: 3000 },
    );
    const waiting = write().catch((e: unknown) => e);
    await clock.advance(500);
    cluster.promote('b:1');
    await clock.advance(100);
    await expect(waiting).resolves.toBe('b:1');
  });

  it('reports a killed write as outcome-unknown when its node went away (a failover manager killed it)', async () => {
    const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    const result = engine
      .run({ reRunnable: false }, async () => {
        cluster.node('a:1').state = 'down';
        cluster.promote('b:1');
        throw new FakeError('killed', 'Connection was killed');
      })
      .catch((error: unknown) => error);
    await clock.advance(200);
    expect(await result).toBeInstanceOf(WriteOutcomeUnknownError);
  });

  it('lets a statement issued before end() finish, on a pool still discovering its cluster', async () => {
    const { clock, engine, write } = setup({ 'a:1': { role: 'primary', writable: true } });
    const issued = write();
    const ended = engine.end();
    await clock.advance(10);
    await expect(issued).resolves.toBe('a:1');
    await ended;
    await expect(write()).rejects.toBeInstanceOf(PoolEndedError);
  });

  it('bounds the queue of callers waiting for a primary', async () => {
    const { clock, write } = setup({ 'a:1': {} }, { maxWaiting: 2, waitForPrimaryMs: 100 });
    const first = write().catch((e: unknown) => e);
    const second = write().catch((e: unknown) => e);
    const third = await write().catch((e: unknown) => e);
    expect(third).toMatchObject({ code: 'NO_PRIMARY', reason: 'queue-full' });
    expect((third as Error).message).toContain('failover.maxWaiting');
    await clock.advance(200);
    expect(await first).toMatchObject({ reason: 'timeout' });
    expect(await second).toMatchObject({ reason: 'timeout' });
  });

  it('stops after failover.maxAttempts tries that each failed without effect', async () => {
    const { clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } }, { maxAttempts: 3 });
    await clock.advance(1);
    let runs = 0;
    const result = engine
      .run({ reRunnable: false }, async () => {
        runs++;
        throw new FakeError('not-sent');
      })
      .catch((e: unknown) => e);
    await clock.advance(200);
    expect(await result).toMatchObject({ code: 'NO_PRIMARY', reason: 'attempts', attempt: 3 });
    expect(runs).toBe(3);
  });

  it('probes fast after a failure and finds the new primary within a fast interval', async () => {
    const { cluster, clock, engine, write, payloads } = setup({
      'a:1': { role: 'primary', writable: true },
      'b:1': {},
    });
    await clock.advance(500); // settled: normal 1000 ms rhythm
    // A write in flight when a:1 dies: its outcome is unknown, and its failure alerts the monitor.
    const inFlight = engine
      .run({ reRunnable: false }, async () => {
        cluster.node('a:1').state = 'down';
        throw new FakeError('connection-lost');
      })
      .catch((e: unknown) => e);
    await clock.advance(1);
    expect(await inFlight).toBeInstanceOf(WriteOutcomeUnknownError);
    const waiting = write();
    cluster.promote('b:1');
    await clock.advance(25); // one fast interval (20 ms +-10%), far below the 1000 ms rhythm
    await expect(waiting).resolves.toBe('b:1');
    const changed = payloads('primaryChanged').find((e) => e.to === 'b:1');
    expect(changed).toMatchObject({ from: 'a:1', to: 'b:1', generation: 2 });
    expect(changed?.detectedAfterMs).toBeLessThanOrEqual(26);
    expect(payloads('primaryLost')).toHaveLength(1);
  });

  it('returns to the normal rhythm once the topology has settled', async () => {
    const { cluster, clock } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1000);
    const before = cluster.probes.length;
    await clock.advance(3000);
    expect(cluster.probes.length - before).toBeLessThanOrEqual(4);
  });

  it('does not let a hung node delay the probes of the others', async () => {
    const { cluster, clock, payloads } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    cluster.node('a:1').state = 'hung';
    cluster.promote('b:1');
    cluster.node('b:1').generation = 2;
    const probesOfB = () => cluster.probes.filter((p) => p === 'b:1').length;
    const before = probesOfB();
    await clock.advance(1100);
    expect(probesOfB()).toBeGreaterThan(before);
    // b (generation 2) is primary even before a's probe times out; a is then marked down.
    expect(payloads('nodeDown')[0]).toMatchObject({ node: 'a:1' });
    expect(payloads('primaryChanged').at(-1)?.to).toBe('b:1');
  });

  describe('an answer from a primary that hung and woke up', () => {
    /**
     * a:1 is primary; a write is sent to it, then a:1 hangs long enough for its probes to time out
     * (the pool gives it up as primary). `wake` makes a:1 answer again and finish the write.
     */
    async function hungWithWriteInFlight(reRunnable: boolean) {
      const ctx = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
      const { cluster, clock, engine } = ctx;
      await clock.advance(1);
      let finish: (value: string) => void = () => undefined;
      let runs = 0;
      const result = engine
        .run({ reRunnable }, (connection) => {
          runs++;
          if (runs > 1) return cluster.statement(connection);
          return new Promise<string>((resolve) => {
            finish = resolve;
          });
        })
        .then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
      await clock.advance(1);
      cluster.node('a:1').state = 'hung';
      await clock.advance(1200); // a:1's probes time out: no primary
      expect(engine.topology().primary).toBeNull();
      const wake = () => {
        cluster.node('a:1').state = 'up';
        finish('a:1');
      };
      return { ...ctx, result, wake, runs: () => runs };
    }

    it('fails the write as outcome unknown when another node was promoted meanwhile', async () => {
      const { cluster, clock, result, wake } = await hungWithWriteInFlight(false);
      cluster.promote('b:1'); // b:1 at generation 2; a:1 wakes up still writable at generation 1
      wake();
      await clock.advance(50);
      const outcome = await result;
      expect(outcome).toMatchObject({ error: expect.any(WriteOutcomeUnknownError) });
      const message = ((outcome as { error: Error }).error as Error).message;
      expect(message).toContain('applied on a:1');
      expect(message).toContain('b:1 has become primary');
    });

    it('re-runs re-runnable work on the node promoted meanwhile', async () => {
      const { cluster, clock, result, wake, runs } = await hungWithWriteInFlight(true);
      cluster.promote('b:1');
      wake();
      await clock.advance(50);
      expect(await result).toEqual({ value: 'b:1' });
      expect(runs()).toBe(2);
    });

    it('lets the answer stand when the node that woke up is still the primary (a long stall)', async () => {
      const { clock, result, wake, runs } = await hungWithWriteInFlight(false);
      wake();
      await clock.advance(50);
      expect(await result).toEqual({ value: 'a:1' });
      expect(runs()).toBe(1);
    });
  });

  it('closes every connection to the old primary once a new one is chosen', async () => {
    const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    const pinned = await engine.acquire();
    expect(pinned.node.name).toBe('a:1');
    cluster.node('a:1').state = 'hung';
    cluster.promote('b:1');
    await clock.advance(1100);
    expect(cluster.pools.get('a:1')?.retired).toBe(1);
    expect(pinned.connection.destroyed).toBe(true);
    expect(engine.pinnedStatus('a:1')).toBe('down');
  });

  it('does not use a connection that finished opening after its node stopped being primary', async () => {
    const { cluster, clock, engine, write } = setup({
      'a:1': { role: 'primary', writable: true },
      'b:1': {},
    });
    await clock.advance(1);
    await write(); // a:1's pool exists
    let open = (): void => undefined;
    const pool = cluster.pools.get('a:1');
    if (!pool) throw new Error('no pool');
    pool.gate = new Promise((resolve) => {
      open = resolve;
    });
    const pending = write(); // its connect hangs, as to a frozen node
    await clock.advance(1);
    cluster.node('a:1').state = 'hung';
    cluster.promote('b:1');
    await clock.advance(1100); // b:1 is primary now
    cluster.node('a:1').state = 'up'; // a:1 wakes up, still writable, and the connect completes
    pool.gate = undefined;
    open();
    await clock.advance(50);
    await expect(pending).resolves.toBe('b:1');
    expect(pool.destroyed).toBeGreaterThanOrEqual(1);
    expect(engine.topology().primary?.name).toBe('b:1');
  });

  it('refuses to write during a split brain, and says so', async () => {
    const { cluster, clock, write, seen } = setup(
      {
        'a:1': { role: 'primary', writable: true, generation: 2 },
        'b:1': { role: 'primary', writable: true, generation: 2 },
      },
      { waitForPrimaryMs: 300 },
    );
    const result = write().catch((e: unknown) => e);
    await clock.advance(400);
    const error = await result;
    expect(error).toBeInstanceOf(SplitBrainError);
    expect((error as SplitBrainError).nodes).toEqual(['a:1', 'b:1']);
    expect(seen.find((e) => e.event === 'splitBrain')?.args[0]).toMatchObject({
      nodes: ['a:1', 'b:1'],
      resolvedTo: null,
    });
    expect(cluster.nodes.size).toBe(2);
  });

  it('reports a returning old primary as a resolved split brain and never writes to it', async () => {
    const { cluster, clock, write, seen } = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await clock.advance(1);
    cluster.node('a:1').state = 'down';
    cluster.promote('b:1');
    await clock.advance(1100);
    cluster.node('a:1').state = 'up'; // comes back, still writable, generation 1
    await clock.advance(1100);
    for (let i = 0; i < 5; i++) await expect(write()).resolves.toBe('b:1');
    expect(seen.find((e) => e.event === 'splitBrain')?.args[0]).toMatchObject({ resolvedTo: 'b:1' });
    expect(cluster.pools.get('a:1')?.acquired ?? 0).toBe(0);
  });

  it("re-runs a pinned connection's first statement on a fresh connection when it certainly did not run", async () => {
    const { cluster, clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    const pinned = await engine.acquire();
    let runs = 0;
    const outcome = sendPinned(
      engine,
      pinned,
      workOf(async (connection) => {
        runs++;
        if (runs === 1) throw new FakeError('not-sent');
        return cluster.statement(connection);
      }),
    );
    await clock.advance(50);
    const result = await outcome;
    expect(result).toMatchObject({ error: undefined, result: 'a:1' });
    expect(result.pinned?.connection).not.toBe(pinned.connection);
    expect(pinned.connection.destroyed).toBe(true);
  });

  it("hands back the same pinned connection when the first statement fails with the app's own error", async () => {
    const { clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    const pinned = await engine.acquire();
    const mine = new Error('syntax error');
    const result = await sendPinned(
      engine,
      pinned,
      workOf(async () => {
        throw mine;
      }),
    );
    expect(result).toMatchObject({ error: mine });
    expect(result.pinned).toBe(pinned);
    expect(pinned.connection.destroyed).toBe(false);
  });

  it('rejects waiting callers when ended, and stops probing', async () => {
    const { cluster, clock, engine, write } = setup({ 'a:1': {} });
    const result = write().catch((e: unknown) => e);
    await clock.advance(10);
    await engine.end();
    expect(await result).toBeInstanceOf(PoolEndedError);
    const probes = cluster.probes.length;
    await clock.advance(5000);
    expect(cluster.probes.length).toBe(probes);
    await expect(write()).rejects.toBeInstanceOf(PoolEndedError);
  });

  it('keeps monitoring when an event listener throws', async () => {
    const { cluster, clock, events, write } = setup({ 'a:1': { state: 'down' }, 'b:1': {} });
    const thrown: unknown[] = [];
    const onUncaught = (error: unknown) => thrown.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      events.on('nodeDown', () => {
        throw new Error('listener bug');
      });
      await clock.advance(10);
      cluster.promote('b:1');
      await clock.advance(30);
      await flush();
      await expect(write()).resolves.toBe('b:1');
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});

describe('retry decisions', () => {
  it.each([
    ['read-only', false, 'retry'],
    ['connect-failed', false, 'retry'],
    ['not-sent', false, 'retry'],
    ['terminated', false, 'retry'],
    ['connection-lost', false, 'outcome-unknown'],
    ['connection-lost', true, 'retry'],
    ['timed-out', false, 'outcome-unknown'],
    ['timed-out', true, 'surface'],
    ['application', false, 'surface'],
    ['application', true, 'surface'],
  ] as const)('%s (re-runnable: %s) -> %s', (kind, reRunnable, action) => {
    expect(decide(kind, { reRunnable }).action).toBe(action);
  });
});

describe('PinnedSession (a checked-out client)', () => {
  it('hands statements to the driver one at a time, in the order they were issued', async () => {
    const { clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    const session = new PinnedSession(engine, await engine.acquire(), 'pool.connect()');
    const log: string[] = [];
    const statement = (name: string, ms: number) =>
      session.run({ reRunnable: false }, (_connection, _node, done) => {
        log.push(`${name} sent`);
        clock.setTimer(() => {
          log.push(`${name} done`);
          done(undefined, name);
        }, ms);
      });
    const all = Promise.all([statement('first', 30), statement('second', 10), statement('third', 0)]);
    await clock.advance(50);
    expect(await all).toEqual(['first', 'second', 'third']);
    expect(log).toEqual([
      'first sent',
      'first done',
      'second sent',
      'second done',
      'third sent',
      'third done',
    ]);
    session.release(false);
  });

  it('refuses, as not sent, the statements queued behind one whose session the server ended', async () => {
    const { clock, engine } = setup({ 'a:1': { role: 'primary', writable: true } });
    await clock.advance(1);
    const session = new PinnedSession(engine, await engine.acquire(), 'pool.connect()');
    await session.run({ reRunnable: false }, (_c, _n, done) => done(undefined, 'warm'));
    const killed = new FakeError('terminated', 'terminating connection due to administrator command');
    let sentAfter = 0;
    const killing = session
      .run({ reRunnable: false }, (_c, _n, done) => done(killed))
      .catch((e: unknown) => e);
    const queued = session
      .run({ reRunnable: false }, (_c, _n, done) => {
        sentAfter++;
        done(undefined, 'ran');
      })
      .catch((e: unknown) => e);
    await clock.advance(100);
    // The node still answers as primary: an operator killed the session, and the caller gets that.
    expect(await killing).toBe(killed);
    expect(await queued).toBeInstanceOf(NodeUnavailableError);
    expect(sentAfter).toBe(0);
    session.release(true);
  });
});

describe('PinnedSession: a session that only set itself up moves with its setup', () => {
  /** a:1 is primary with a pinned session on it; `log` records each statement and its node. */
  async function pinnedOnA() {
    const ctx = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} });
    await ctx.clock.advance(1);
    const session = new PinnedSession(ctx.engine, await ctx.engine.acquire(), 'pool.connect()');
    const log: string[] = [];
    const statement =
      (name: string): Work<FakeConnection, string> =>
      (_connection, node, done) => {
        log.push(`${name} on ${node.name}`);
        // a:1 was demoted by a switchover the monitor has not seen yet: it refuses writes.
        if (name === 'INSERT' && node.name === 'a:1') done(new FakeError('read-only'));
        else done(undefined, node.name);
      };
    const switchover = () => {
      ctx.cluster.node('a:1').role = 'replica';
      ctx.cluster.node('a:1').writable = false;
      ctx.cluster.promote('b:1');
    };
    return { ...ctx, session, log, statement, switchover };
  }

  it('runs BEGIN and SET again on the new primary when the next statement was refused as read-only', async () => {
    const { clock, session, log, statement, switchover } = await pinnedOnA();
    await session.run({ reRunnable: false }, statement('SET'), true);
    await session.run({ reRunnable: true }, statement('BEGIN'), true);
    switchover();
    const insert = session.run({ reRunnable: false }, statement('INSERT'));
    await clock.advance(1500);
    expect(await insert).toBe('b:1');
    expect(log).toEqual([
      'SET on a:1',
      'BEGIN on a:1',
      'INSERT on a:1',
      'SET on b:1',
      'BEGIN on b:1',
      'INSERT on b:1',
    ]);
    // Anything else ran now: the session stays where it is.
    expect(await session.run({ reRunnable: false }, statement('SELECT'))).toBe('b:1');
    session.release(false);
  });

  it('moves nothing once a statement other than setup ran: the refusal reaches the app', async () => {
    const { clock, session, log, statement, switchover } = await pinnedOnA();
    await session.run({ reRunnable: true }, statement('BEGIN'), true);
    await session.run({ reRunnable: true }, statement('SELECT'));
    switchover();
    const insert = session.run({ reRunnable: false }, statement('INSERT')).catch((e: unknown) => e);
    await clock.advance(1500);
    expect(await insert).toBeInstanceOf(NodeUnavailableError);
    expect(log).toEqual(['BEGIN on a:1', 'SELECT on a:1', 'INSERT on a:1']);
    session.release(true);
  });
});

describe('a node that stops answering with statements in flight (nobody promotes)', () => {
  /** a:1 is primary; `inFlight` statements are sent to it, then it hangs: probes time out, statements never answer. */
  async function hangWithStatementsInFlight(failover: Record<string, unknown>, reRunnable = false) {
    const ctx = setup({ 'a:1': { role: 'primary', writable: true }, 'b:1': {} }, failover);
    const { cluster, clock, engine } = ctx;
    await clock.advance(1);
    cluster.node('a:1').state = 'hung';
    const settledAt: number[] = [];
    const inFlight = engine
      .run({ reRunnable }, (connection) => cluster.statement(connection, reRunnable ? 'read' : 'write'))
      .then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      )
      .finally(() => settledAt.push(clock.now()));
    await clock.advance(1);
    // Until the monitor gives a:1 up (its probe times out).
    while (engine.topology().nodes.find((n) => n.name === 'a:1')?.healthy) await clock.advance(10);
    return { ...ctx, inFlight, settledAt, downAt: clock.now() };
  }

  it('cuts a write in flight off with WriteOutcomeUnknownError once the node failed its probes for failover.abandonAfterMs', async () => {
    const { clock, inFlight, settledAt, payloads, cluster, write, downAt } = await hangWithStatementsInFlight(
      {
        waitForPrimaryMs: 3000,
      },
    );
    expect(payloads('nodeDown').map((e) => e.node)).toContain('a:1');
    const waiting = write().catch((e: unknown) => e); // arrives when no primary is known: waits
    await clock.advance(2900);
    expect(settledAt).toEqual([]); // not yet: abandonAfterMs (default: waitForPrimaryMs) runs from then
    await clock.advance(200);
    const outcome = (await inFlight) as { error: Error };
    expect(outcome.error).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(outcome.error.message).toContain('failover.abandonAfterMs');
    expect(outcome.error.message).toContain('may or may not have been applied');
    expect(settledAt[0]).toBeGreaterThanOrEqual(downAt - 10 + 3000); // downAt: seen within 10 ms
    expect(payloads('nodeAbandoned')).toEqual([{ node: 'a:1', downForMs: 3000 }]);
    expect(cluster.pools.get('a:1')?.retired).toBe(1);
    expect(await waiting).toBeInstanceOf(NoPrimaryError);
  });

  it('re-runs cut-off reads without a second full wait: the wait counts from when the node was given up', async () => {
    const { clock, inFlight, settledAt, downAt } = await hangWithStatementsInFlight(
      { waitForPrimaryMs: 3000 },
      true,
    );
    await clock.advance(3100);
    expect(((await inFlight) as { error: unknown }).error).toBeInstanceOf(NoPrimaryError);
    expect(settledAt[0]).toBeLessThanOrEqual(downAt + 3050);
  });

  it('runs a cut-off read again on the same node when it answers within failover.waitForPrimaryMs', async () => {
    const { clock, inFlight, cluster } = await hangWithStatementsInFlight(
      { waitForPrimaryMs: 5000, abandonAfterMs: 1000 },
      true,
    );
    await clock.advance(1100); // cut off; the re-run waits for a primary
    cluster.node('a:1').state = 'up';
    await clock.advance(1000); // the next probe answers
    expect(await inFlight).toEqual({ value: 'a:1' });
  });

  it('closes a pinned connection to the node too', async () => {
    const { clock, engine, cluster } = setup(
      { 'a:1': { role: 'primary', writable: true }, 'b:1': {} },
      { waitForPrimaryMs: 2000 },
    );
    await clock.advance(1);
    const pinned = await engine.acquire();
    cluster.node('a:1').state = 'hung';
    await clock.advance(1000 + 2100);
    expect(pinned.connection.destroyed).toBe(true);
  });

  it('leaves a node alone that answers its probes again before the time is up, and the statements on it', async () => {
    const { clock, inFlight, settledAt, cluster, payloads } = await hangWithStatementsInFlight({
      waitForPrimaryMs: 5000,
    });
    await clock.advance(1000); // given up for 1 s...
    // ...then it answers probes again, and its statement still runs there.
    for (const connection of cluster.pools.get('a:1')?.open ?? [])
      cluster.node('a:1').running.add(connection.id);
    cluster.node('a:1').state = 'up';
    await clock.advance(10_000);
    expect(settledAt).toEqual([]);
    expect(payloads('nodeAbandoned')).toEqual([]);
    expect(cluster.pools.get('a:1')?.retired).toBe(0);
    // A second episode starts its own count.
    cluster.node('a:1').state = 'hung';
    await clock.advance(1600 + 5100);
    expect(payloads('nodeAbandoned').map((e) => e.node)).toEqual(['a:1']);
    expect((await inFlight) as { error: unknown }).toMatchObject({
      error: expect.any(WriteOutcomeUnknownError),
    });
  });

  it('never touches a long statement on a node that answers its probes', async () => {
    const { clock, engine, payloads } = setup(
      { 'a:1': { role: 'primary', writable: true }, 'b:1': {} },
      { waitForPrimaryMs: 1000 },
    );
    await clock.advance(1);
    let done = false;
    let finish: (value: string) => void = () => undefined;
    const long = engine
      .run({ reRunnable: false }, () => new Promise<string>((resolve) => (finish = resolve)))
      .finally(() => {
        done = true;
      });
    await clock.advance(60_000);
    expect(done).toBe(false);
    expect(payloads('nodeAbandoned')).toEqual([]);
    finish('a:1');
    await expect(long).resolves.toBe('a:1');
  });
});

describe('connections an outage left dead on a node that answers again', () => {
  /** a:1 is primary; `work` is sent to it; a:1 stops answering, long enough to be given up, then answers again. */
  async function outageWithStatementInFlight(
    work: (connection: FakeConnection, cluster: FakeCluster) => Promise<string>,
  ) {
    const ctx = setup(
      { 'a:1': { role: 'primary', writable: true }, 'b:1': {} },
      { waitForPrimaryMs: 30_000 },
    );
    const { cluster, clock, engine } = ctx;
    await clock.advance(1);
    cluster.node('a:1').state = 'hung'; // the network to it goes dark: what is sent now is lost
    let used: FakeConnection | undefined;
    const result = engine
      .run({ reRunnable: false }, (connection) => {
        used = connection;
        return work(connection, cluster);
      })
      .then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    await clock.advance(1);
    const healthy = () => engine.topology().nodes.find((n) => n.name === 'a:1')?.healthy;
    while (healthy()) await clock.advance(10);
    cluster.node('a:1').state = 'up';
    while (!healthy()) await clock.advance(10);
    return { ...ctx, result, connection: () => used as FakeConnection };
  }

  it('closes a connection whose statement the server is not running, and reports the write as outcome unknown', async () => {
    const { clock, result, connection } = await outageWithStatementInFlight((c, cluster) =>
      cluster.statement(c),
    );
    await clock.advance(300);
    const outcome = (await result) as { error: Error };
    expect(outcome.error).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(outcome.error.message).toContain('answered again it was running nothing for this connection');
    expect(connection().destroyed).toBe(true);
  });

  it('leaves alone a statement the server is still running, however long it runs', async () => {
    let finish: (value: string) => void = () => undefined;
    const ctx = await outageWithStatementInFlight((c, cluster) => {
      cluster.node('a:1').running.add(c.id);
      c.state.pending = true;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    await ctx.clock.advance(5_000);
    expect(ctx.connection().destroyed).toBe(false);
    finish('a:1');
    expect(await ctx.result).toEqual({ value: 'a:1' });
  });

  it('leaves alone a statement whose answer arrives between the two questions', async () => {
    let finish: (value: string) => void = () => undefined;
    const ctx = await outageWithStatementInFlight((c) => {
      c.state.pending = true;
      return new Promise<string>((resolve) => {
        finish = (value) => {
          c.state.pending = false;
          resolve(value);
        };
      });
    });
    finish('a:1'); // after the first question (asked when a:1 answered again), before the second
    await ctx.clock.advance(300);
    expect(await ctx.result).toEqual({ value: 'a:1' });
    expect(ctx.connection().destroyed).toBe(false);
  });
});
