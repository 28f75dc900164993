import type { ProbeFn } from './monitor';
import type { NodeAddress } from './node';
import type { NodePool } from './node-pool';
import type { FailureKind } from './retry';

/**
 * What a driver layer (pg, mysql2) gives the engine: per-node pools, a probe, and the meaning of its
 * errors (which it learns from its dialect plus what only the driver knows: whether a statement
 * had left before its connection died).
 */
export interface DriverAdapter<Connection> {
  readonly probe: ProbeFn;
  createNodePool(node: NodeAddress): NodePool<Connection>;
  /**
   * `connection` is the connection the statement ran on, or undefined when acquiring a connection
   * failed.
   */
  classify(error: unknown, connection: Connection | undefined): FailureKind;
  /** Closes the monitor's probe connections. */
  close(): Promise<void>;
}
