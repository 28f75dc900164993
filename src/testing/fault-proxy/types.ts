/** Public types of the fault proxy. */

/** Which wire protocol the proxy understands. `raw` = opaque bytes (no `cutOn`). */
export type ProxyProtocol = 'postgres' | 'mysql' | 'raw';

/**
 * Which connections a fault applies to:
 * - `all`: every connection, open now or accepted later (the default);
 * - `existing`: only connections open when the fault was set;
 * - `new`: only connections accepted after the fault was set.
 */
export type FaultScope = 'all' | 'new' | 'existing';

/** Direction of the bytes a fault acts on. `toServer` = client -> database. */
export type FaultDirection = 'both' | 'toServer' | 'toClient';

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

export interface ScopeOptions {
  scope?: FaultScope;
}

export interface DirectionOptions extends ScopeOptions {
  direction?: FaultDirection;
}

export interface CloseOptions extends DirectionOptions {
  /**
   * How the proxy closes both sides once the limit is reached: `close` (FIN, the default) or
   * `reset` (TCP RST: the client sees ECONNRESET; on Linux a client that still has unread
   * bytes when the RST arrives reads them and then sees EOF instead).
   */
  how?: 'close' | 'reset';
}

export interface CutOnOptions extends ScopeOptions {
  /**
   * `before`: drop the connection without forwarding the matching statement (it certainly did
   * not run). `after`: forward it, swallow the server's answer, and close both sides when the
   * answer starts to arrive (or after `replyWaitMs`): the statement ran, the client never hears.
   */
  when: 'before' | 'after';
  /** How many cuts this rule makes before it stops matching. Default: unlimited. */
  times?: number;
  /** `after` only: the longest wait for the server's reply before closing anyway. Default 2000. */
  replyWaitMs?: number;
  /**
   * `close` (FIN, the default: the server still reads every byte forwarded before it) or
   * `reset` (TCP RST to both sides: the server may discard bytes it has not read yet).
   */
  how?: 'close' | 'reset';
}

/** Returned by every fault method. */
export interface FaultHandle {
  /** The fault's kind, e.g. `latency`. */
  readonly kind: string;
  /** False once `off()` (or `proxy.clear()`) was called. */
  readonly active: boolean;
  /** Switch the fault off. Resolves when its effect is gone (relevant for `refuse`). */
  off(): Promise<void>;
}

export interface CutHandle extends FaultHandle {
  /** How many connections this rule has cut so far. */
  readonly cuts: number;
}

export interface ResetHandle extends FaultHandle {
  /** How many connections this fault has reset so far. */
  readonly resets: number;
}

export interface ProxyStats {
  /** Connections accepted since the proxy started. */
  accepted: number;
  /** Connections open now (client or server side not yet closed). */
  open: number;
  /** Bytes received from clients. */
  bytesFromClient: number;
  /** Bytes written to the server. */
  bytesToServer: number;
  /** Bytes received from the server. */
  bytesFromServer: number;
  /** Bytes written to clients. */
  bytesToClient: number;
  /** Connections cut by `cutOn` rules. */
  cuts: number;
  /** Connections reset by `reset()`. */
  resets: number;
  /** Connections closed by `closeAfter()`. */
  closedAfterBytes: number;
}

export interface ConnectionInfo {
  /** Increasing number, from 1, in accept order. */
  id: number;
  clientAddress: string | undefined;
  clientPort: number | undefined;
  /** `performance.now()` when the connection was accepted. */
  openedAt: number;
  /** Whether the connection to the target is established. */
  serverConnected: boolean;
  bytesFromClient: number;
  bytesToServer: number;
  bytesFromServer: number;
  bytesToClient: number;
  /** True once the protocol parser gave up (TLS, compression): `cutOn` no longer applies. */
  passthrough: boolean;
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
