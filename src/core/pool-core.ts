import { systemClock } from './clock';
import type { Driver } from './driver';
import { FailoverEngine } from './engine';
import type { EmitFailoverEvent } from './events';
import type { NodeAddress } from './node';
import type { ResolvedPoolSettings } from './options';
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

/** What every facade stands on: the engine, and `pool.transaction` over it. */
export interface PoolCore<Connection, Handle> {
  readonly engine: FailoverEngine<Connection>;
  readonly transactions: TransactionRunner<Connection, Handle>;
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
  emit: EmitFailoverEvent,
): PoolCore<Connection, Handle> {
  const engine = new FailoverEngine(
    config.nodes,
    driver,
    config.failover,
    config.monitor,
    emit,
    systemClock,
    config.promotion,
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
  engine.start();
  return { engine, transactions };
}
