import { describe, expect, it } from 'vitest';
import type { NodeOperations } from '../../src/core/node-operations';
import { waitForCausalPosition } from '../../src/core/reads/causal-wait';
import { mysqlOperations } from '../../src/dialects/mysql/operations';
import { FakeClock } from './support/fake-clock';
import { serverError } from './support/mysql-replies';
import { nodeView } from './support/node-view';

const GALERA = { clusterStatus: 'Primary', ready: true, usable: true } as const;
const never = () => new Promise<never>(() => undefined);

/** Operations whose waits answer as told, recording which one was asked. */
function operations(answer: () => Promise<boolean>) {
  const asked: string[] = [];
  const ops = {
    waitForPosition: async () => {
      asked.push('position');
      return answer();
    },
    waitForGroupCommits: async () => {
      asked.push('group');
      return answer();
    },
  } as unknown as NodeOperations;
  return { ops, asked };
}

describe('the wait of a read after a causal token', () => {
  it('a replica waits for the position; a Galera member for the group', async () => {
    const { ops, asked } = operations(async () => true);
    const clock = new FakeClock();
    const run = async () => [];
    expect(await waitForCausalPosition(ops, run, nodeView('r'), '0-1-9', 1_000, clock)).toBe('reached');
    expect(
      await waitForCausalPosition(ops, run, nodeView('g', { galera: GALERA }), '0-1-9', 1_000, clock),
    ).toBe('reached');
    expect(asked).toEqual(['position', 'group']);
  });

  it("the server's own bound ran out: ran-out; no answer 1 s past the bound: stuck (Galera waits 30 s)", async () => {
    const clock = new FakeClock();
    const run = async () => [];
    const ranOut = operations(async () => false);
    expect(await waitForCausalPosition(ranOut.ops, run, nodeView('r'), '0-1-9', 1_000, clock)).toBe(
      'ran-out',
    );
    const hung = operations(never);
    const outcome = waitForCausalPosition(
      hung.ops,
      run,
      nodeView('g', { galera: GALERA }),
      '0-1-9',
      1_000,
      clock,
    );
    let settled: string | undefined;
    void outcome.then((o) => {
      settled = o;
    });
    await clock.advance(1_999);
    expect(settled).toBeUndefined();
    await clock.advance(1);
    expect(settled).toBe('stuck');
  });

  it("MariaDB's group wait is one statement that leaves the session's wsrep_sync_wait alone; 1205 means it ran out", async () => {
    const asked: string[] = [];
    let error: Error | undefined;
    const run = async (sql: string) => {
      asked.push(sql);
      if (error) throw error;
      return [{ 1: 1 }];
    };
    expect(await mysqlOperations.waitForGroupCommits?.(run)).toBe(true);
    expect(asked).toEqual(['SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1']);
    error = serverError(
      1205,
      'ER_LOCK_WAIT_TIMEOUT',
      'Lock wait timeout exceeded; try restarting transaction',
      'HY000',
    );
    expect(await mysqlOperations.waitForGroupCommits?.(run)).toBe(false);
    error = serverError(2013, 'PROTOCOL_CONNECTION_LOST', 'Lost connection', 'HY000');
    await expect(mysqlOperations.waitForGroupCommits?.(run)).rejects.toThrow('Lost connection');
  });
});
