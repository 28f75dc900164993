import { afterEach } from 'vitest';

/**
 * Setup file for integration tests: an unhandled rejection or uncaught exception anywhere in the
 * process (a pool, a client, the harness) fails the test during which it happened.
 */
const problems: unknown[] = [];
process.on('unhandledRejection', (reason) => problems.push(reason));
process.on('uncaughtException', (error) => problems.push(error));

afterEach(() => {
  if (problems.length === 0) return;
  const seen = problems.splice(0);
  throw new Error(
    `Unhandled rejection or uncaught exception during the test: ${seen.map(String).join('; ')}`,
  );
});
