/** The fault proxy itself: what createFaultProxy takes and returns. Its fault types are in types.ts. */
import type {
  CloseOptions,
  ConnectionInfo,
  CutHandle,
  CutOnOptions,
  DirectionOptions,
  FaultHandle,
  ProxyProtocol,
  ProxyStats,
  ResetHandle,
  ScopeOptions,
} from './types';

export interface FaultProxyOptions {
  /** The database node the proxy forwards to. */
  target: { host: string; port: number };
  /** Where the proxy listens. Default 127.0.0.1, port 0 (a free port). */
  listen?: { host?: string; port?: number };
  /** Needed for `cutOn`. Default `raw`. */
  protocol?: ProxyProtocol;
  /** Timeout for connecting to the target, in ms. Default 5000. */
  connectTimeoutMs?: number;
}

export interface FaultProxy {
  /** The address clients connect to. */
  readonly host: string;
  readonly port: number;
  readonly target: { host: string; port: number };
  readonly protocol: ProxyProtocol;

  /** Delay bytes by `ms` (+ up to `jitterMs`), keeping byte order per direction. */
  latency(ms: number, jitterMs?: number, opts?: DirectionOptions): FaultHandle;
  /** Limit throughput to `bytesPerSec` per connection and direction. */
  bandwidth(bytesPerSec: number, opts?: DirectionOptions): FaultHandle;
  /** Swallow bytes (and closes) while on; connections stay open. The hung-network case. */
  blackhole(opts?: DirectionOptions): FaultHandle;
  /**
   * Send a TCP RST to both sides. `existing` (the default): the connections open now, once.
   * `new`: every connection accepted while the fault is on. `all`: both.
   */
  reset(opts?: ScopeOptions): ResetHandle;
  /** Stop listening: new connections get ECONNREFUSED. `off()` listens again on the same port. */
  refuse(): Promise<FaultHandle>;
  /** Close a connection once it has carried `bytes` bytes (counted from when the fault applies). */
  closeAfter(bytes: number, opts?: CloseOptions): FaultHandle;
  /** Forward data in fragments of 1-7 bytes, `gapMs` apart (default 1). */
  sliceWrites(opts?: DirectionOptions & { gapMs?: number }): FaultHandle;
  /**
   * Protocol-aware cut on a statement's SQL text (Query/Parse; COM_QUERY/COM_STMT_PREPARE). A
   * string matches statements starting with it (case-insensitive); a RegExp is tested as is.
   */
  cutOn(pattern: RegExp | string, opts: CutOnOptions): CutHandle;
  /** Switch every fault off (and listen again if refusing). */
  clear(): Promise<void>;

  stats(): ProxyStats;
  connections(): ConnectionInfo[];
  /** Close the listener and every socket; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}
