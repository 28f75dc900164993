import type { EngineFixture } from './engine-fixture';
import { mariadbFixtures } from './mariadb-fixture';
import { pgFixtures } from './pg-fixture';

/**
 * Every engine build this machine can run, as `[name, fixture]` rows for `describe.each`: both
 * PostgreSQL builds and MariaDB. One that is missing is skipped, or fails under CI's rule.
 */
export function engineFixtures(): [string, EngineFixture][] {
  const all: EngineFixture[] = [...pgFixtures(), ...mariadbFixtures()] as EngineFixture[];
  return all.map((fixture) => [fixture.name, fixture]);
}

/** One fixture per engine (the first PostgreSQL build found), for what does not depend on the build. */
export function oneFixturePerEngine(): [string, EngineFixture][] {
  const seen = new Set<string>();
  return engineFixtures().filter(([, fixture]) => !seen.has(fixture.engine) && seen.add(fixture.engine));
}
