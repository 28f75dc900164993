/**
 * Monotonic time and timers behind one small interface, so the core never reads the wall clock
 * (a clock step during a failover must not fire or cancel a timeout) and unit tests can drive
 * time by hand.
 */
export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  now(): number;
  /**
   * Calls `fn` after `ms`; the returned function cancels it. `keepAlive: false` (for the monitor's
   * own rhythm) lets the process exit while the timer is pending; timers that stand for a caller's
   * pending work keep it alive, as a pending socket would.
   */
  setTimer(fn: () => void, ms: number, keepAlive: boolean): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms, keepAlive) {
    const timer = setTimeout(fn, ms);
    if (!keepAlive) timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. Never keeps the process alive. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      cancel();
      resolve();
    };
    const cancel = clock.setTimer(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      ms,
      false,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
