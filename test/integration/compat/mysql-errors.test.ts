import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { mysqlSideQuery } from './mysql-admin';
import { describeMysql } from './mysql-suite';
import { useFakeServers } from './silent-servers';
import { later, rejectionOf, sleep, waitFor } from './waiting';

/** mysql2's own failures fail fast: a refused connection, a refused login. */
const FAILS_FAST_MS = 5_000;

/**
 * Connection failures, killed sessions, and the driver's own debug output
 * (mysql2's test-pool-connect-error, test-pool-disconnect, graceful-end debug tests).
 */
describeMysql('connection errors and killed sessions', ({ subject, server, fromMysqlConfig, pool }) => {
  const fake = useFakeServers();

  it(
    'rejects a statement on a refused port with ECONNREFUSED',
    async () => {
      const p = fromMysqlConfig({ ...server(), port: await fake.refusing() });
      expect((await rejectionOf(p.query('SELECT 1'))).code).toBe('ECONNREFUSED');
      expect((await rejectionOf(p.getConnection())).code).toBe('ECONNREFUSED');
    },
    FAILS_FAST_MS,
  );

  it(
    "passes a refused login's error through (ER_ACCESS_DENIED_ERROR)",
    async () => {
      const p = fromMysqlConfig({ ...server(), password: 'wrong' });
      expect((await rejectionOf(p.query('SELECT 1'))).code).toBe('ER_ACCESS_DENIED_ERROR');
    },
    FAILS_FAST_MS,
  );

  it('passes a KILL of a running statement by another session to the caller, and does not run it again', async () => {
    const p = pool({ connectionLimit: 1 });
    const marker = `compat_${randomBytes(4).toString('hex')}`;
    const sleeper = later(p.query(`SELECT SLEEP(3) AS ${marker}`));
    let threadId: number | undefined;
    await waitFor(async () => {
      const rows = await mysqlSideQuery<{ id: number }[]>(
        server(),
        'SELECT id FROM information_schema.processlist WHERE info LIKE ? AND id <> CONNECTION_ID()',
        [`%AS ${marker}`],
      );
      threadId = rows[0]?.id;
      return threadId !== undefined;
    }, 'the statement to show in the processlist');
    await mysqlSideQuery(server(), `KILL ${threadId}`);
    const error = await rejectionOf(sleeper);
    const killed = ['ER_CONNECTION_KILLED', 'PROTOCOL_CONNECTION_LOST'];
    if (subject.raw || error.code === 'ER_CONNECTION_KILLED') expect(killed).toContain(error.code);
    else {
      // Deliberate (docs/compatibility.md): a statement whose connection was lost after it was sent
      // may have been applied; failover-pool says so instead of passing the bare connection error.
      expect(error.code).toBe('WRITE_OUTCOME_UNKNOWN');
      expect(killed).toContain((error.cause as { code?: string }).code);
    }
    expect(await p.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('with debug: true, logs nothing while the pool is idle', async () => {
    const p = pool({ connectionLimit: 1, debug: true });
    const lines: unknown[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args);
    try {
      await p.query('SELECT 1');
      lines.length = 0;
      await sleep(500);
    } finally {
      console.log = log;
    }
    expect(lines).toEqual([]);
  });
});
