/**
 * `.ci/run` sets FAILOVER_POOL_REQUIRE_SERVERS=1: there a server build that cannot be found is an
 * error, not a skipped suite, so CI can never pass by running none of the integration tests.
 * Elsewhere (a laptop without MariaDB, say) the suite is skipped with its reason printed.
 */
export function skipOrFail(what: string, reason: string): void {
  if (process.env.FAILOVER_POOL_REQUIRE_SERVERS === '1') {
    throw new Error(
      `${what} is required here (FAILOVER_POOL_REQUIRE_SERVERS=1) but was not found: ${reason}`,
    );
  }
  console.warn(`Skipping ${what}: ${reason}`);
}
