import { ConfigError } from '../errors';
import { optionalNumber, rejectUnknownKeys, requireObject } from '../validate';

/** `promotion`: the library promotes a replica itself when the primary is gone (docs/promotion.md). */
export interface PromotionOptions {
  /** Off by default: most clusters have Patroni, Orchestrator or an operator to promote. */
  enabled?: boolean;
  /** The account that promotes, repoints and fences (docs/promotion.md lists its privileges). Default: the pool's. */
  user?: string;
  password?: string;
  /** How long the primary must have failed every probe before a promotion is considered (default 500 ms). */
  detectAfterMs?: number;
  /** No second promotion within this long of one this instance saw (default 60000 ms). */
  cooldownMs?: number;
  /** The longest wait for the chosen replica to accept writes (default 10000 ms). */
  promoteTimeoutMs?: number;
  /**
   * The most a replica may lack of the lost primary's writes to be promoted, in ms of the primary's
   * writing as this pool's probes saw it (default 10000). Matters with asynchronous replication.
   */
  maxBehindMs?: number;
  /** The advisory lock's name, the same in every app instance of one cluster. */
  lockName?: string;
  /**
   * How the replicas reach a node, where it differs from how the app does (a proxy, another DNS
   * name): `{ 'db1-proxy:6432': 'db1.internal:5432' }`, keyed by the node as listed in `hosts`.
   * Replicas are pointed at the new primary's address from here; default: the app's.
   */
  replicationHosts?: Record<string, string>;
}

export interface ResolvedPromotionOptions {
  readonly detectAfterMs: number;
  readonly cooldownMs: number;
  readonly promoteTimeoutMs: number;
  readonly maxBehindMs: number;
  readonly lockName: string;
  /** As given (checked against the nodes by the promoter, which knows them). */
  readonly replicationHosts: Readonly<Record<string, string>>;
  /** Undefined: the pool's own account. */
  readonly account: { readonly user: string; readonly password?: string } | undefined;
}

const KEYS = [
  'enabled',
  'user',
  'password',
  'detectAfterMs',
  'cooldownMs',
  'promoteTimeoutMs',
  'maxBehindMs',
  'lockName',
  'replicationHosts',
];

/** Checks `promotion` (as given); undefined when promotion is off. */
export function resolvePromotionOptions(value: unknown): ResolvedPromotionOptions | undefined {
  if (value === undefined) return undefined;
  const o = requireObject(value, 'promotion');
  rejectUnknownKeys(o, KEYS, 'promotion');
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') {
    throw new ConfigError('promotion.enabled', 'expected true or false.');
  }
  for (const key of ['user', 'password', 'lockName'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) {
      throw new ConfigError(`promotion.${key}`, 'expected a non-empty string.');
    }
  }
  if (o.password !== undefined && o.user === undefined) {
    throw new ConfigError(
      'promotion.password',
      "give `promotion.user` too, or neither (the pool's own account).",
    );
  }
  const replicationHosts = o.replicationHosts ?? {};
  if (
    typeof replicationHosts !== 'object' ||
    replicationHosts === null ||
    Array.isArray(replicationHosts) ||
    Object.values(replicationHosts).some((value) => typeof value !== 'string')
  ) {
    throw new ConfigError(
      'promotion.replicationHosts',
      "expected an object such as { 'db1-proxy:6432': 'db1.internal:5432' }: each listed node, and how the replicas reach it.",
    );
  }
  if (o.enabled !== true) return undefined;
  const password = o.password as string | undefined;
  const account = o.user === undefined ? undefined : { user: o.user as string };
  if (account && password !== undefined)
    Object.defineProperty(account, 'password', { value: password, enumerable: false });
  return {
    detectAfterMs: optionalNumber(o.detectAfterMs, 'promotion.detectAfterMs', 500, { min: 0 }),
    cooldownMs: optionalNumber(o.cooldownMs, 'promotion.cooldownMs', 60_000, { min: 0 }),
    promoteTimeoutMs: optionalNumber(o.promoteTimeoutMs, 'promotion.promoteTimeoutMs', 10_000, {
      min: 0,
      exclusiveMin: true,
    }),
    maxBehindMs: optionalNumber(o.maxBehindMs, 'promotion.maxBehindMs', 10_000, { min: 0 }),
    lockName: (o.lockName as string | undefined) ?? 'failover-pool promotion',
    replicationHosts: replicationHosts as Record<string, string>,
    account,
  };
}
