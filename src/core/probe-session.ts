import type { RunSql } from './dialect';

/**
 * One monitor connection to one node, opened by the driver (Driver.openProbeSession) and kept
 * between probes, so that a probe is one or two round trips. The prober drops it on any failure or
 * timeout, so a hung node's socket never lingers.
 */
export interface ProbeSession {
  /** Resolves once connected and authenticated; rejects if that fails. */
  readonly ready: Promise<void>;
  /** Runs a statement on it (only after `ready`). */
  readonly run: RunSql;
  /** Called (once) when the connection fails on its own, between probes. */
  onFailure(listener: (error: Error) => void): void;
  /** Closes it at once, without the goodbye a hung server would never answer. */
  destroy(): void;
  /** Says goodbye when the server answers within `graceMs`; closes it at once otherwise. */
  end(graceMs: number): Promise<void>;
}
