/**
 * One direction of one proxied connection: a FIFO of byte runs on their way to `dest`, with
 * latency, bandwidth, slicing and blackholing applied at the moment each run is written.
 *
 * Order is kept because the queue is FIFO and only its head is ever written: a run whose
 * release time has not come blocks the ones behind it. Release times are recomputed from
 * each run's arrival time whenever the faults change, so switching latency off releases
 * queued bytes at once instead of leaving them stuck behind the old delay.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CloseHow } from './faults';

export interface PipeEnv {
  latency(): { ms: number; jitterMs: number };
  bandwidth(): number | undefined;
  blackholed(): boolean;
  sliceGap(): number | undefined;
  /** Bytes were handed to `dest`. */
  wrote(bytes: number): void;
  /** A close marker reached the head of the queue. */
  close(how: CloseHow): void;
  pauseSource(): void;
  resumeSource(): void;
}

type Item =
  | {
      kind: 'data';
      buf: Buffer;
      arrivedAt: number;
      /** Fraction of the jitter this run gets, drawn once so recomputing keeps it. */
      jitterDraw: number;
      releaseAt: number;
      /** Called once: true when the last byte was written, false if the run was dropped. */
      done?: (written: boolean) => void;
    }
  | { kind: 'end' }
  | { kind: 'close'; how: CloseHow };

/** Above this many queued bytes the source is paused; below the low mark it resumes. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;

export class Pipe {
  private queue: Item[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private awaitingDrain = false;
  private sourcePaused = false;
  private disposed = false;
  private tokens = 0;
  private tokensAt = 0;
  private tokenRate: number | undefined;

  constructor(
    private readonly dest: Socket,
    private readonly env: PipeEnv,
  ) {}

  get pending(): number {
    return this.queuedBytes;
  }

  push(buf: Buffer, done?: (written: boolean) => void): void {
    if (this.disposed) {
      done?.(false);
      return;
    }
    if (buf.length === 0) {
      done?.(true);
      return;
    }
    const arrivedAt = performance.now();
    const item: Item = {
      kind: 'data',
      buf,
      arrivedAt,
      jitterDraw: Math.random(),
      releaseAt: arrivedAt,
      done,
    };
    item.releaseAt = this.releaseTime(item);
    this.queue.push(item);
    this.queuedBytes += buf.length;
    if (this.queuedBytes > HIGH_WATER && !this.sourcePaused) {
      this.sourcePaused = true;
      this.env.pauseSource();
    }
    this.pump();
  }

  /** Half-close `dest` once everything queued before has been written. */
  pushEnd(): void {
    if (this.disposed || this.queue.some((i) => i.kind === 'end')) return;
    this.queue.push({ kind: 'end' });
    this.pump();
  }

  /** Ask the connection to close once everything queued before has been written. */
  pushClose(how: CloseHow): void {
    if (this.disposed) return;
    this.queue.push({ kind: 'close', how });
    this.pump();
  }

  /** The faults changed: recompute release times and write what is due. */
  refresh(): void {
    if (this.disposed) return;
    for (const item of this.queue) {
      if (item.kind === 'data') item.releaseAt = this.releaseTime(item);
    }
    this.clearTimer();
    this.pump();
  }

  /** Drop everything queued and stop. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimer();
    if (this.awaitingDrain) this.dest.off('drain', this.onDrain);
    this.awaitingDrain = false;
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const item of queue) if (item.kind === 'data') item.done?.(false);
  }

  private releaseTime(item: { arrivedAt: number; jitterDraw: number }): number {
    const { ms, jitterMs } = this.env.latency();
    return item.arrivedAt + ms + item.jitterDraw * jitterMs;
  }

  private pump(): void {
    if (this.disposed || this.timer || this.awaitingDrain) return;
    while (this.queue.length > 0 && !this.disposed) {
      const item = this.queue[0]!;
      if (item.kind === 'close') {
        this.queue.shift();
        this.env.close(item.how);
        return;
      }
      if (item.kind === 'end') {
        // A FIN is a packet too: lost while blackholed, "retransmitted" when the fault ends.
        if (this.env.blackholed()) return;
        this.queue.shift();
        if (!this.dest.destroyed && !this.dest.writableEnded) this.dest.end();
        continue;
      }
      if (this.dest.destroyed || this.dest.writableEnded || this.env.blackholed()) {
        this.shift(item, false);
        continue;
      }
      const now = performance.now();
      if (item.releaseAt > now) {
        this.wait(item.releaseAt - now);
        return;
      }
      if (this.dest.writableNeedDrain) {
        this.awaitingDrain = true;
        this.dest.once('drain', this.onDrain);
        return;
      }
      let n = item.buf.length;
      const gap = this.env.sliceGap();
      if (gap !== undefined) n = Math.min(n, 1 + Math.floor(Math.random() * 7));
      const rate = this.env.bandwidth();
      if (rate !== undefined) {
        const available = this.takeTokens(rate, now, n);
        if (available === 0) {
          this.wait(Math.max(1, ((1 - this.tokens) / rate) * 1000));
          return;
        }
        n = available;
      } else {
        this.tokenRate = undefined;
      }
      const piece = n === item.buf.length ? item.buf : item.buf.subarray(0, n);
      this.dest.write(piece);
      this.env.wrote(n);
      if (n === item.buf.length) {
        this.shift(item, true);
      } else {
        item.buf = item.buf.subarray(n);
        this.queuedBytes -= n;
      }
      if (gap !== undefined) {
        this.wait(gap);
        return;
      }
    }
    this.maybeResume();
  }

  /** Token bucket: `rate` bytes per second, at most 50 ms worth (and >= 1 byte) in store. */
  private takeTokens(rate: number, now: number, want: number): number {
    const capacity = Math.max(1, rate / 20);
    if (this.tokenRate !== rate) {
      this.tokenRate = rate;
      this.tokens = 0;
      this.tokensAt = now;
    }
    this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    const n = Math.min(want, Math.floor(this.tokens));
    this.tokens -= n;
    return n;
  }

  private shift(item: Item & { kind: 'data' }, written: boolean): void {
    this.queue.shift();
    this.queuedBytes -= item.buf.length;
    item.done?.(written);
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.sourcePaused && this.queuedBytes < LOW_WATER) {
      this.sourcePaused = false;
      this.env.resumeSource();
    }
  }

  private wait(ms: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(0, ms));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.pump();
  };

  private readonly onDrain = (): void => {
    this.awaitingDrain = false;
    this.pump();
  };
}
