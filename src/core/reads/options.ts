import { ConfigError } from '../errors';
import { optionalNumber, rejectUnknownKeys, requireObject } from '../validate';

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
}

export interface ResolvedReadsOptions {
  readonly maxLagMs: number;
  readonly causalWaitMs: number;
  readonly fallback: 'primary' | 'error';
}

/** Checks `reads` (as given); reads go to replicas only where a statement asks for it. */
export function resolveReadsOptions(value: unknown): ResolvedReadsOptions {
  const o = value === undefined ? {} : requireObject(value, 'reads');
  rejectUnknownKeys(o, ['maxLagMs', 'causalWaitMs', 'fallback'], 'reads');
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
  };
}
