import type { EventEmitter } from 'node:events';

/**
 * Waits for `check` to hold, polling; fails with `what` once `deadlineMs` has passed. Used for
 * things that happen after a timer (an idle timeout, a killed backend noticed): the deadline only
 * bounds a wait, it asserts nothing about speed.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The arguments of the next `event` of `emitter`, or an error after `deadlineMs`. */
export function nextEvent(emitter: EventEmitter, event: string, deadlineMs = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${deadlineMs} ms`));
    }, deadlineMs);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, listener);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a Node-style callback received: its error and the values after it. */
export interface Called {
  readonly error: unknown;
  readonly values: unknown[];
}

/** Runs `start` with a callback and resolves with what the callback got (its first call). */
export function viaCallback(start: (callback: (error: unknown, ...values: unknown[]) => void) => unknown): {
  returned: unknown;
  called: Promise<Called>;
} {
  let returned: unknown;
  const called = new Promise<Called>((resolve) => {
    returned = start((error, ...values) => resolve({ error, values }));
  });
  return { returned, called };
}

/** The rejection of `promise` (fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection, got a result');
}

/**
 * Marks `promise` as handled and returns it: a promise the test awaits only later (a queued
 * checkout) must not count as an unhandled rejection if the test fails before awaiting it.
 */
export function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
