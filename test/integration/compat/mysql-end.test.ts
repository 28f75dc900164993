import { expect, it } from 'vitest';
import { describeMysql } from './mysql-suite';
import { later, rejectionOf, waitFor } from './waiting';

/** pool.end() and the closed pool (mysql2's test-pool-end, test-pool-getconnection-contract). */
describeMysql('end()', ({ pool }) => {
  it("ends, and refuses everything after with mysql2's 'Pool is closed.'", async () => {
    const p = pool({ connectionLimit: 1 });
    await p.query('SELECT 1');
    await p.end();
    expect((await rejectionOf(p.query('SELECT 1'))).message).toBe('Pool is closed.');
    expect((await rejectionOf(p.execute('SELECT 1'))).message).toBe('Pool is closed.');
    expect((await rejectionOf(p.getConnection())).message).toBe('Pool is closed.');
  });

  // What becomes of the statements already given a connection depends on timing in mysql2 3.24:
  // ended a few milliseconds after they were dispatched, they fail with "Can't add new command when
  // connection is in closed state". The queued ones are always refused.
  it("rejects the statements queued for a connection with 'Pool is closed.'", async () => {
    const p = pool({ connectionLimit: 2, gracefulEnd: true });
    // Both connections open first: mysql2 fails a statement whose connection is still being opened at end().
    const warm = await Promise.all([p.getConnection(), p.getConnection()]);
    for (const connection of warm) connection.release();
    let enqueued = 0;
    p.pool.on('enqueue', () => enqueued++);
    const running = [later(p.query('SELECT SLEEP(0.3) AS s')), later(p.query('SELECT SLEEP(0.3) AS s'))];
    const queued = [later(p.query('SELECT 1')), later(p.query('SELECT 2'))];
    await waitFor(() => enqueued === 2, 'two queued statements');
    const ended = p.end();
    for (const q of queued) expect((await rejectionOf(q)).message).toBe('Pool is closed.');
    await Promise.allSettled(running);
    await ended;
  });
});
