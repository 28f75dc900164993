import { ConfigError } from '../errors';
import { optionalNumber, rejectUnknownKeys, requireObject } from '../validate';
import {
  type HeartbeatOptions,
  type ResolvedHeartbeatOptions,
  resolveHeartbeatOptions,
} from './heartbeat-options';

/** `reads`: statements marked `readFrom: 'replica'` go to replicas (docs/reads.md). */
export interface ReadsOptions {
  /**
   * The most a replica's data may be stale, as it measured itself at its last probe (ms; default
   * 1000). A replica further behind, or whose staleness is unknown, gets no reads.
   */
  maxLagMs?: number;
  /** How long a read `after` a causal token waits for a replica to apply it, before the primary reads it (ms; default 1000). */
  causalWaitMs?: number;
  /** With no replica fit to read from: `'primary'` (default) reads there; `'error'` fails with NoReplicaError. */
  fallback?: 'primary' | 'error';
  /**
   * MySQL/MariaDB: measure replicas' staleness to the millisecond with a heartbeat table instead of
   * `Seconds_Behind_Source` (whole seconds). `true` for the defaults. Off by default: it writes to
   * the primary and needs CREATE (once) and INSERT/DELETE on the table. Refused on PostgreSQL, which
   * measures without one.
   */
  heartbeat?: boolean | HeartbeatOptions;
}

export interface ResolvedReadsOptions {
  readonly maxLagMs: number;
  readonly causalWaitMs: number;
  readonly fallback: 'primary' | 'error';
  readonly heartbeat?: ResolvedHeartbeatOptions;
}

/** Checks `reads` (as given); reads go to replicas only where a statement asks for it. */
export function resolveReadsOptions(value: unknown): ResolvedReadsOptions {
  const o = value === undefined ? {} : requireObject(value, 'reads');
  rejectUnknownKeys(o, ['maxLagMs', 'causalWaitMs', 'fallback', 'heartbeat'], 'reads');
  if (o.fallback !== undefined && o.fallback !== 'primary' && o.fallback !== 'error') {
    throw new ConfigError(
      'reads.fallback',
      "expected 'primary' (read there) or 'error' (fail with NoReplicaError).",
    );
  }
  return {
    maxLagMs: optionalNumber(o.maxLagMs, 'reads.maxLagMs', 1_000, { min: 0 }),
    causalWaitMs: optionalNumber(o.causalWaitMs, 'reads.causalWaitMs', 1_000, { min: 0 }),
    fallback: (o.fallback as 'primary' | 'error' | undefined) ?? 'primary',
    ...withHeartbeat(resolveHeartbeatOptions(o.heartbeat)),
  };
}

function withHeartbeat(heartbeat: ResolvedHeartbeatOptions | undefined): {
  heartbeat?: ResolvedHeartbeatOptions;
} {
  return heartbeat ? { heartbeat } : {};
}
