/** Sleeps that never keep the process alive on their own once the bench is done. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the promise's value, or with `fallback` once `ms` passed (a hung client must not hang the bench). */
export function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Milliseconds since the epoch, with performance.now()'s resolution: one clock for the bench and its
 * child processes (each process's performance.now() counts from its own start).
 */
export const epochMs = (): number => performance.timeOrigin + performance.now();
