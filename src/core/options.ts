import { ConfigError } from './errors';
import type { HostSpec } from './hosts';
import type { MeterProviderLike } from './metrics/meter-like';
import {
  type PromotionOptions,
  type ResolvedPromotionOptions,
  resolvePromotionOptions,
} from './promotion/options';
import { type ReadsOptions, type ResolvedReadsOptions, resolveReadsOptions } from './reads/options';
import {
  type ResolvedTransactionsOptions,
  resolveTransactionsOptions,
  type TransactionsOptions,
} from './transaction-options';
import { optionalNumber, rejectUnknownKeys, requireObject } from './validate';

/** How the pool behaves while the primary changes. */
export interface FailoverOptions {
  /** How long a write waits for a primary to appear before `NoPrimaryError`. Default 30000. */
  waitForPrimaryMs?: number;
  /** Callers that may wait for a primary at once; beyond it, `NoPrimaryError` at once. Default 10000. */
  maxWaiting?: number;
  /** Tries per operation, the first included, before the last error is surfaced. Default 10. */
  maxAttempts?: number;
  /**
   * Pause before re-run number `attempt` (1 = first re-run). Replaceable policy; the default is a
   * jittered exponential backoff from 10 ms up to 500 ms. Re-runs mostly wait for the monitor to
   * find the new primary anyway; this only keeps a node that keeps failing from being hammered.
   */
  retryDelayMs?: (attempt: number) => number;
  /** Limit for opening a connection when the driver's own connect timeout is not set. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * A node that has failed every probe for this long (it froze, or the network to it went dark, with
   * its connections still open) is abandoned: every connection to it is closed, checked out ones
   * included, so statements in flight there end (writes with WriteOutcomeUnknownError, re-runnable
   * work re-run where a primary is found) instead of waiting as long as TCP keeps the connection.
   * A node that answers its probes is never touched, however long its statements run. Default:
   * `waitForPrimaryMs`, so that a statement in flight ends about when a caller that started waiting
   * for a primary at the same moment gives up.
   */
  abandonAfterMs?: number;
  /**
   * Every data-changing statement (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `MERGE`, and `WITH` ...
   * around one) sent with `pool.query` / `pool.execute` is exactly once, as with the statement flag
   * `exactlyOnce: true`, unless it says `exactlyOnce: false`. Default false. docs/transactions.md.
   */
  exactlyOnce?: boolean;
}

/** How the monitor probes the nodes. */
export interface MonitorOptions {
  /** Pause between probes of a node while all is well. Default 1000. */
  intervalMs?: number;
  /** A probe (connect included) that takes longer marks the node down. Default 1000. */
  timeoutMs?: number;
  /** Pause between probes while a failure is suspected or callers wait for a primary. Default 50 (or intervalMs if smaller). */
  fastIntervalMs?: number;
  /** Fast probing goes on this long after the last change before the normal rhythm resumes. Default 3000. */
  settleMs?: number;
}

export interface ResolvedFailoverOptions {
  readonly waitForPrimaryMs: number;
  /** The option that set `waitForPrimaryMs`, for messages (a driver's connect timeout may set it). */
  readonly waitForPrimaryOption: string;
  readonly maxWaiting: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: (attempt: number) => number;
  readonly connectTimeoutMs: number;
  /** As set; undefined: `waitForPrimaryMs` (see FailoverOptions.abandonAfterMs). */
  readonly abandonAfterMs: number | undefined;
  readonly exactlyOnce: boolean;
}

export interface ResolvedMonitorOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fastIntervalMs: number;
  readonly settleMs: number;
}

/** Jittered exponential backoff (full jitter on the upper half), as postgres.js does for reconnects. */
export function defaultRetryDelayMs(attempt: number): number {
  const ceiling = Math.min(500, 10 * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const FAILOVER_KEYS = [
  'waitForPrimaryMs',
  'maxWaiting',
  'maxAttempts',
  'retryDelayMs',
  'connectTimeoutMs',
  'abandonAfterMs',
  'exactlyOnce',
];
const MONITOR_KEYS = ['intervalMs', 'timeoutMs', 'fastIntervalMs', 'settleMs'];

export function resolveFailoverOptions(value: unknown): ResolvedFailoverOptions {
  const o = value === undefined ? {} : requireObject(value, 'failover');
  rejectUnknownKeys(o, FAILOVER_KEYS, 'failover');
  const retryDelayMs = o.retryDelayMs ?? defaultRetryDelayMs;
  if (typeof retryDelayMs !== 'function') {
    throw new ConfigError('failover.retryDelayMs', 'expected a function (attempt) => milliseconds.');
  }
  if (o.exactlyOnce !== undefined && typeof o.exactlyOnce !== 'boolean') {
    throw new ConfigError('failover.exactlyOnce', 'expected true or false.');
  }
  return {
    waitForPrimaryMs: optionalNumber(o.waitForPrimaryMs, 'failover.waitForPrimaryMs', 30_000, { min: 0 }),
    waitForPrimaryOption: 'failover.waitForPrimaryMs',
    maxWaiting: optionalNumber(o.maxWaiting, 'failover.maxWaiting', 10_000, { min: 0, integer: true }),
    maxAttempts: optionalNumber(o.maxAttempts, 'failover.maxAttempts', 10, { min: 1, integer: true }),
    retryDelayMs: retryDelayMs as (attempt: number) => number,
    connectTimeoutMs: optionalNumber(o.connectTimeoutMs, 'failover.connectTimeoutMs', 5_000, {
      min: 0,
      exclusiveMin: true,
    }),
    abandonAfterMs:
      o.abandonAfterMs === undefined
        ? undefined
        : optionalNumber(o.abandonAfterMs, 'failover.abandonAfterMs', 0, { min: 0 }),
    exactlyOnce: o.exactlyOnce === true,
  };
}

export function resolveMonitorOptions(value: unknown): ResolvedMonitorOptions {
  const o = value === undefined ? {} : requireObject(value, 'monitor');
  rejectUnknownKeys(o, MONITOR_KEYS, 'monitor');
  const positive = { min: 0, exclusiveMin: true };
  const intervalMs = optionalNumber(o.intervalMs, 'monitor.intervalMs', 1_000, positive);
  const resolved = {
    intervalMs,
    timeoutMs: optionalNumber(o.timeoutMs, 'monitor.timeoutMs', 1_000, positive),
    fastIntervalMs: optionalNumber(
      o.fastIntervalMs,
      'monitor.fastIntervalMs',
      Math.min(50, intervalMs),
      positive,
    ),
    settleMs: optionalNumber(o.settleMs, 'monitor.settleMs', 3_000, { min: 0 }),
  };
  if (resolved.fastIntervalMs > resolved.intervalMs) {
    throw new ConfigError(
      'monitor.fastIntervalMs',
      `must not exceed monitor.intervalMs (${resolved.intervalMs}), got ${resolved.fastIntervalMs}.`,
    );
  }
  return resolved;
}

/**
 * failover-pool's own options, beside the driver's, on every pool (each driver adds where else its
 * nodes may be listed: pg's `connectionString`, mysql2's `uri`).
 */
export interface PoolOptions {
  /** Every node of the cluster, in any order: `'db1:5432'`, `'[::1]:3306'`, `{ host, port }`. */
  hosts?: HostSpec[];
  /** A single host, or several separated by commas (`'db1,db2:5433'`), as libpq takes them. */
  host?: string;
  /** Default port for hosts given without one. */
  port?: number;
  failover?: FailoverOptions;
  monitor?: MonitorOptions;
  /** Defaults for `pool.transaction()`: the idempotency table, attempts. */
  transactions?: TransactionsOptions;
  /** Promotion of a replica by the library when the primary is gone; off by default (docs/promotion.md). */
  promotion?: PromotionOptions;
  /** OpenTelemetry metrics (docs/operations.md). */
  metrics?: MetricsOptions;
  /** Reads from replicas, for statements marked `readFrom: 'replica'` (docs/reads.md). */
  reads?: ReadsOptions;
}

/** Where the pool's OpenTelemetry instruments go. */
export interface MetricsOptions {
  /** Default: the MeterProvider an OpenTelemetry SDK registered globally; none, no instruments. */
  meterProvider?: MeterProviderLike;
  /** `db.client.connection.pool.name` on every data point. Default: the nodes, as listed. */
  poolName?: string;
}

export interface ResolvedMetricsOptions {
  readonly meterProvider: MeterProviderLike | undefined;
  readonly poolName: string | undefined;
}

/** The names of PoolOptions that are failover-pool's alone (`host` and `port` are the drivers' too). */
export const POOL_OPTION_KEYS = [
  'hosts',
  'failover',
  'monitor',
  'transactions',
  'promotion',
  'metrics',
  'reads',
] as const;

/** failover-pool's own settings of a pool, checked, with their defaults. */
export interface ResolvedPoolSettings {
  readonly failover: ResolvedFailoverOptions;
  readonly monitor: ResolvedMonitorOptions;
  readonly transactions: ResolvedTransactionsOptions;
  /** Undefined: the library does not promote. */
  readonly promotion: ResolvedPromotionOptions | undefined;
  readonly metrics: ResolvedMetricsOptions;
  readonly reads: ResolvedReadsOptions;
}

/** Checks the `failover`, `monitor`, `transactions` and `promotion` options (as given: anything may be there). */
export function resolvePoolSettings(options: {
  failover: unknown;
  monitor: unknown;
  transactions: unknown;
  promotion: unknown;
  metrics: unknown;
  reads: unknown;
}) {
  return {
    failover: resolveFailoverOptions(options.failover),
    monitor: resolveMonitorOptions(options.monitor),
    transactions: resolveTransactionsOptions(options.transactions),
    promotion: resolvePromotionOptions(options.promotion),
    metrics: resolveMetricsOptions(options.metrics),
    reads: resolveReadsOptions(options.reads),
  } satisfies ResolvedPoolSettings;
}

function resolveMetricsOptions(value: unknown): ResolvedMetricsOptions {
  const o = value === undefined ? {} : requireObject(value, 'metrics');
  rejectUnknownKeys(o, ['meterProvider', 'poolName'], 'metrics');
  const provider = o.meterProvider as { getMeter?: unknown } | undefined;
  if (provider !== undefined && typeof provider?.getMeter !== 'function') {
    throw new ConfigError(
      'metrics.meterProvider',
      "expected an OpenTelemetry MeterProvider (with getMeter()), such as the SDK's `new MeterProvider(...)`.",
    );
  }
  if (o.poolName !== undefined && (typeof o.poolName !== 'string' || o.poolName === '')) {
    throw new ConfigError('metrics.poolName', 'expected a non-empty string.');
  }
  return {
    meterProvider: provider as MeterProviderLike | undefined,
    poolName: o.poolName as string | undefined,
  };
}
