import { systemClock } from './clock';
import type { Driver } from './driver';
import { FailoverEngine } from './engine';
import type { EmitFailoverEvent } from './events';
import { globalMeterProvider } from './metrics/meter-like';
import { attachInstruments } from './metrics/otel-instruments';
import { PoolMetrics } from './metrics/pool-metrics';
import type { NodeAddress } from './node';
import type { ResolvedPoolSettings } from './options';
import { topologyView } from './topology';
import type { StatementGate } from './transaction-driver';
import { TransactionRunner } from './transaction-runner';

/** A pool's options once checked, whatever its driver: the nodes, the driver's own options, ours. */
export interface ResolvedPoolConfig<DriverOptions> extends ResolvedPoolSettings {
  readonly nodes: readonly NodeAddress[];
  /** The driver options every node's pool shares (secrets not enumerable). */
  readonly shared: DriverOptions;
  /** The driver options of one node's pool. */
  perNode(node: NodeAddress): DriverOptions;
}

/** What every facade stands on: the engine, `pool.transaction` over it, and `pool.metrics()`. */
export interface PoolCore<Connection, Handle> {
  readonly engine: FailoverEngine<Connection>;
  readonly transactions: TransactionRunner<Connection, Handle>;
  readonly metrics: PoolMetrics;
}

/**
 * Wires a driver to the engine and the transaction runner, and starts the monitor: the part of a
 * facade's constructor that is the same for every driver. `handle` makes what the function given to
 * `pool.transaction` gets (the driver's query API); `emit` is the facade's own emitter.
 */
export function startPoolCore<Connection, Handle>(
  config: ResolvedPoolConfig<unknown>,
  driver: Driver<Connection>,
  handle: (gate: StatementGate<Connection>) => Handle,
  facadeEmit: EmitFailoverEvent,
): PoolCore<Connection, Handle> {
  let engineRef: FailoverEngine<Connection> | undefined;
  const metrics = new PoolMetrics(
    () => engineRef?.outcomeUnknownCount ?? 0,
    () => engineRef?.connectionUsage() ?? [],
  );
  // Every event passes the metrics on its way to the app's listeners.
  const emit: EmitFailoverEvent = (event, ...args) => {
    metrics.observe(event, args[0]);
    facadeEmit(event, ...args);
  };
  const engine = new FailoverEngine(
    config.nodes,
    driver,
    config.failover,
    config.monitor,
    emit,
    systemClock,
    config.promotion,
    config.reads,
  );
  const transactions = new TransactionRunner(
    engine,
    {
      dialect: driver.dialect.transactions,
      execute: (connection, sql, values) => driver.execute(connection, sql, values),
      classify: (error, connection) => engine.classify(error, connection),
      isAlive: (connection) => driver.isAlive(connection),
      handle,
    },
    config.transactions,
    config.failover.retryDelayMs,
    emit,
  );
  engineRef = engine;
  engine.onOutcomeUnknown = () => metrics.outcomeUnknownCounted();
  engine.onOutage = (seconds) => metrics.outage(seconds);
  engine.replicaReads.onRead = (outcome) => metrics.replicaRead(outcome);
  const provider = config.metrics.meterProvider ?? globalMeterProvider();
  if (provider) {
    const name = config.metrics.poolName ?? config.nodes.map((n) => n.name).join(',');
    attachInstruments(provider, metrics, () => topologyView(engine.topology()), name);
  }
  engine.start();
  return { engine, transactions, metrics };
}
