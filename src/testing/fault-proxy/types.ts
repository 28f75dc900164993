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
