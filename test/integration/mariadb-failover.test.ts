import { describe, expect, it } from 'vitest';
import { mariadbFixture, mariadbUnavailable } from './support/mariadb-fixture';
import { endedAfterEach } from './support/resources';
import { sleep } from './support/wait';
import { outageAround, startWrites } from './support/write-workload';

/**
 * A failover scenario only MariaDB has (the others, for every engine, are in failover.test.ts): an
 * operator demotes the primary with read_only before anyone is promoted.
 */
describe.skipIf(mariadbUnavailable() !== undefined)('mysql2 pool failover on MariaDB', () => {
  const started = endedAfterEach();

  it('read-only rejection: a demoted primary refuses writes (1290) and every one of them is re-run', async () => {
    const cluster = started.cluster(await mariadbFixture.start({ writesTable: true }));
    const pool = started.pool(mariadbFixture.pool(cluster, { statementTimeoutMs: 20_000 }));
    const retries: Record<string, number> = {};
    pool.on('retry', (event) => {
      retries[event.reason] = (retries[event.reason] ?? 0) + 1;
    });
    const writes = startWrites({ query: (text, values) => pool.query(text, values) });
    await sleep(500);
    // An operator (or a tool) demotes node1 and only later promotes node2: writes meanwhile are refused.
    await cluster.query('node1', 'SET GLOBAL read_only = ON');
    const faultAt = performance.now();
    await sleep(300);
    await cluster.promote('node2');
    const writableAt = performance.now();
    await cluster.repoint('node3', 'node2');
    await cluster.repoint('node1', 'node2');
    await sleep(500);
    await writes.stop();

    const result = writes.history.check(await mariadbFixture.idsOn(cluster, 'node2'));
    console.log(
      `[MariaDB ${cluster.serverVersion}] read-only rejection: ${JSON.stringify({
        ...outageAround(writes.history, faultAt, writableAt),
        retries,
        errors: Object.fromEntries(writes.errors),
        ...result.counts,
      })}`,
    );
    expect(retries['read-only'] ?? 0).toBeGreaterThan(0);
    expect(Object.fromEntries(writes.errors)).toEqual({});
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toEqual([]);
  });
});
