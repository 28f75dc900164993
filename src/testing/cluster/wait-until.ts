const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns true. Anything else it returns (or throws) is the latest
 * observation, quoted in the timeout error, so a test that waits in vain says what it saw.
 * `abort` is asked before every poll (a destroyed cluster stops all waits at once).
 */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<true | string>,
  options: { intervalMs?: number; abort?: () => void } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    options.abort?.();
    try {
      const outcome = await check();
      if (outcome === true) return;
      last = outcome;
    } catch (error) {
      last = (error as Error).message;
    }
    if (performance.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
    await sleep(options.intervalMs ?? 50);
  }
}
