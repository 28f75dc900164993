import { afterEach, describe, expect, it } from 'vitest';
import {
  CommitOutcomeUnknownError,
  NodeUnavailableError,
  WriteOutcomeUnknownError,
} from '../../../src/index';
import { closeEverything, type DriverKit, type KitPool, until } from './driver-kit';
import type { ConnectMode, FakeNode } from './fake-node';

/**
 * The driver layer's failover rules, each scenario written once and run on every driver API
 * against fake wire servers (the real pg / mysql2 code underneath). The oracle is what each fake
 * node received: a write whose connection died after it was sent was received exactly once and is
 * never re-run; anything that certainly did not run is re-run on the primary.
 */
export function describeFailoverScenarios<E>(kit: DriverKit<E>): void {
  /** A primary and a replica, and a pool that has found the primary. */
  async function cluster(): Promise<{ a: FakeNode<E>; b: FakeNode<E>; pool: KitPool }> {
    const a = await kit.startNode('primary');
    const b = await kit.startNode('replica');
    const pool = kit.createPool([a, b]);
    await until('the pool to find the primary', () => pool.primary() === a.name);
    return { a, b, pool };
  }

  /**
   * The failover that ends a scenario: `a` stops claiming to be primary to the monitor and `b` is
   * promoted. Until then `a` keeps its probes held, so the pool goes on treating it as the primary.
   */
  function failOver(a: FakeNode<E>, b: FakeNode<E>): void {
    a.role = 'replica';
    a.releaseProbes();
    b.promote();
  }

  describe(`${kit.name}: a statement sent, then its connection lost`, () => {
    afterEach(closeEverything);

    it('is a WriteOutcomeUnknownError for a plain write, received exactly once', async () => {
      const { a, b, pool } = await cluster();
      a.script(/^INSERT INTO lost_write/, 'drop', 1);
      const error = await pool.run('INSERT INTO lost_write (id) VALUES (?)').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
      expect(error).toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN', host: '127.0.0.1', port: a.port });
      expect(a.received(/^INSERT INTO lost_write/)).toBe(1);
      expect(b.received(/^INSERT INTO lost_write/)).toBe(0);
      expect(pool.retries).toEqual([]);
    });

    for (const flag of ['readOnly', 'idempotent'] as const) {
      it(`is re-run and succeeds when marked ${flag}`, async () => {
        const { a, pool } = await cluster();
        a.script(/^UPDATE carts/, 'drop', 1);
        await pool.run('UPDATE carts SET status = ? WHERE id = ?', { [flag]: true });
        expect(a.received(/^UPDATE carts/)).toBe(2);
        expect(pool.retries.map((r) => r.reason)).toContain('connection-lost');
      });
    }

    it('on a pinned client after its first statement: WriteOutcomeUnknownError, nothing re-run', async () => {
      const { a, b, pool } = await cluster();
      const pinned = await pool.pin();
      await pinned.run('SELECT 1 AS first');
      a.script(/^INSERT INTO pinned_write/, 'drop', 1);
      const error = await pinned.run('INSERT INTO pinned_write (id) VALUES (?)').catch((e: unknown) => e);
      pinned.release();
      expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
      expect(error).toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN' });
      expect(a.received(/^INSERT INTO pinned_write/)).toBe(1);
      expect(b.received(/^INSERT INTO pinned_write/)).toBe(0);
      expect(pool.retries).toEqual([]);
    });

    it('on a pinned client, is not re-run even when marked idempotent', async () => {
      const { a, pool } = await cluster();
      const pinned = await pool.pin();
      await pinned.run('SELECT 1 AS first');
      a.script(/^UPDATE pinned_idempotent/, 'drop', 1);
      const error = await pinned
        .run('UPDATE pinned_idempotent SET x = ?', { idempotent: true })
        .catch((e: unknown) => e);
      pinned.release();
      expect(error).toBeInstanceOf(NodeUnavailableError);
      expect(error).toMatchObject({ code: 'NODE_UNAVAILABLE', reason: 'connection-lost' });
      expect(a.received(/^UPDATE pinned_idempotent/)).toBe(1);
    });
  });

  describe(`${kit.name}: a statement that certainly did not run`, () => {
    afterEach(closeEverything);

    it('is re-run on a new connection when its pooled connection had died while idle', async () => {
      const { a, pool } = await cluster();
      await pool.run('SELECT 1 AS warm_up');
      await a.closeAppSessions();
      await pool.run('INSERT INTO after_idle_close (id) VALUES (?)');
      expect(a.received(/^INSERT INTO after_idle_close/)).toBe(1);
      expect(a.appSessions().length).toBe(2);
    });

    it("is moved to a new connection when a pinned client's connection died before its first statement", async () => {
      const { a, pool } = await cluster();
      const pinned = await pool.pin();
      await a.closeAppSessions();
      await pinned.run('INSERT INTO pinned_dead (id) VALUES (?)');
      pinned.release();
      expect(a.received(/^INSERT INTO pinned_dead/)).toBe(1);
      expect(a.appSessions().length).toBe(2);
    });

    for (const mode of ['refuse', 'reset'] as const satisfies ConnectMode[]) {
      it(`is re-run on the new primary when connecting failed (${mode})`, async () => {
        const { a, b, pool } = await cluster();
        a.holdProbes();
        await a.setConnectMode(mode);
        const write = pool.run('INSERT INTO refused (id) VALUES (?)');
        expect(await pool.retried('connect-failed')).toMatchObject({ node: a.name });
        failOver(a, b);
        await write;
        expect(a.received(/^INSERT INTO refused/)).toBe(0);
        expect(b.received(/^INSERT INTO refused/)).toBe(1);
      });
    }

    for (const rejection of kit.readOnlyRejections) {
      it(`is re-run on the new primary after a demotion made the node reject it (${rejection.name})`, async () => {
        const { a, b, pool } = await cluster();
        await pool.run('SELECT 1 AS warm_up'); // a pooled connection, writable when it was opened
        a.holdProbes();
        a.role = 'replica';
        a.script(/^INSERT INTO demoted/, { error: rejection.error }, 1);
        const write = pool.run('INSERT INTO demoted (id) VALUES (?)');
        await pool.retried('read-only');
        failOver(a, b);
        await write;
        expect(a.received(/^INSERT INTO demoted/)).toBe(1);
        expect(b.received(/^INSERT INTO demoted/)).toBe(1);
      });
    }

    for (const role of ['replica', 'read-only'] as const) {
      it(`never uses a new connection found not writable (${role}), and runs on the primary`, async () => {
        const { a, b, pool } = await cluster();
        a.holdProbes();
        a.role = role;
        const write = pool.run('INSERT INTO standby_session (id) VALUES (?)');
        await pool.retried('read-only');
        failOver(a, b);
        await write;
        expect(b.received(/^INSERT INTO standby_session/)).toBe(1);
        // It was opened, found not writable, and got nothing but the library's own check.
        expect(a.appSessions().length).toBeGreaterThan(0);
        const sentToA = a.appSessions().flatMap((s) => s.statements);
        expect(sentToA.filter((text) => !kit.newConnectionCheck?.test(text))).toEqual([]);
      });
    }

    it('abandons a connect to a node retired meanwhile, and runs on the new primary', async () => {
      const { a, b, pool } = await cluster();
      a.holdProbes();
      await a.setConnectMode('hang');
      const write = pool.run('INSERT INTO hung_connect (id) VALUES (?)');
      await until('a connect to the old primary', () => a.hung.size > 0);
      failOver(a, b);
      await write;
      expect(a.appSessions()).toEqual([]);
      expect(b.received(/^INSERT INTO hung_connect/)).toBe(1);
      if (kit.closesAbandonedConnects)
        await until('the abandoned connect to be closed', () => a.hung.size === 0);
    });
  });

  describe(`${kit.name}: the application's own error`, () => {
    afterEach(closeEverything);

    it('reaches the caller unchanged and is not re-run', async () => {
      const { a, pool } = await cluster();
      a.script(/^INSERT INTO orders/, { error: kit.uniqueViolation }, 1);
      const error = await pool.run('INSERT INTO orders (id) VALUES (?)').catch((e: unknown) => e);
      kit.expectUniqueViolation(error);
      expect(a.received(/^INSERT INTO orders/)).toBe(1);
      expect(pool.retries).toEqual([]);
    });
  });

  describe(`${kit.name}: pool.transaction`, () => {
    afterEach(closeEverything);

    it('runs the function again when the connection was lost before COMMIT was sent', async () => {
      const { a, pool } = await cluster();
      a.script(/^UPDATE stock/, 'drop', 1);
      let runs = 0;
      const value = await pool.transaction(async (tx) => {
        runs += 1;
        await tx.run('UPDATE stock SET qty = qty - 1 WHERE sku = ?');
        return 'done';
      });
      expect(value).toBe('done');
      expect(runs).toBe(2);
      expect(a.received(/^UPDATE stock/)).toBe(2);
      expect(a.received('COMMIT')).toBe(1);
    });

    it('is a CommitOutcomeUnknownError when the connection was lost during COMMIT (no key)', async () => {
      const { a, pool } = await cluster();
      a.script('COMMIT', 'drop', 1);
      let runs = 0;
      const error = await pool
        .transaction(async (tx) => {
          runs += 1;
          await tx.run('UPDATE stock SET qty = qty - 1 WHERE sku = ?');
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
      expect(error).toMatchObject({ code: 'COMMIT_OUTCOME_UNKNOWN', reason: 'no-key' });
      expect(runs).toBe(1);
      expect(a.received('COMMIT')).toBe(1);
    });
  });
}
