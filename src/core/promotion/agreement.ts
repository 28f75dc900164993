import type { RunSql } from '../dialect';
import type { NodeOperations } from '../node-operations';

/** A session this instance holds on one node, for the advisory lock (locks belong to their session). */
export interface LockSession {
  readonly node: string;
  readonly run: RunSql;
}

/** The outcome of one try for the promoter's locks. */
export interface Agreement {
  /** This instance holds the lock on a strict majority of all listed nodes: it alone may promote. */
  readonly agreed: boolean;
  /** The nodes whose lock it holds (none once released). */
  readonly held: readonly string[];
  /** Gives every lock back; harmless to call twice. */
  release(): Promise<void>;
}

/**
 * Tries, without waiting, for the advisory lock `name` on every node this instance reaches (rule 2
 * of docs/promotion.md; MaxScale's cooperative monitoring does the same). The lock of one server is
 * held by one session at a time, so two instances can never both hold it on more than half of the
 * `total` listed nodes, even when they disagree on which node is down or which replica is best.
 * Without a majority every lock taken is given back at once, so that another contender can win the
 * next try; a node that fails to answer counts as not held.
 */
export async function takeMajority(
  sessions: readonly LockSession[],
  total: number,
  operations: NodeOperations,
  name: string,
): Promise<Agreement> {
  const outcomes = await Promise.all(
    sessions.map(async (session) =>
      (await operations.tryLock(session.run, name).catch(() => false)) ? session : undefined,
    ),
  );
  const held = outcomes.filter((session): session is LockSession => session !== undefined);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await Promise.all(held.map((session) => operations.unlock(session.run, name).catch(() => undefined)));
  };
  const agreed = held.length > total / 2;
  if (!agreed) await release();
  return {
    agreed,
    get held() {
      return released ? [] : held.map((session) => session.node);
    },
    release,
  };
}
