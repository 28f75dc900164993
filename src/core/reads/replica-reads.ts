import type { Clock } from '../clock';
import type { RunSql } from '../dialect';
import { NoReplicaError } from '../errors';
import type { NodeView } from '../node';
import type { NodeOperations } from '../node-operations';
import type { NodePool } from '../node-pool';
import { decide, type FailureKind } from '../retry';
import type { TopologySnapshot } from '../topology';
import type { Done, Work } from '../work';
import type { CausalPosition } from './causal-token';
import { waitForCausalPosition } from './causal-wait';
import { eligibleReplicas, ReplicaTurns } from './eligible-replicas';
import type { ResolvedReadsOptions } from './options';

/** What the replica reads need of the engine. */
export interface ReplicaReadsHost<Connection> {
  snapshot(): TopologySnapshot;
  poolFor(node: NodeView): NodePool<Connection>;
  classify(error: unknown, connection: Connection): FailureKind;
  /** A query failed on `node`: the monitor probes it at once. */
  reportFailure(node: string, error: unknown): void;
  sqlOn(connection: Connection): RunSql;
  /** Closes a connection's socket at once: what runs on it fails as connection lost (Driver.destroy). */
  destroy(connection: Connection): void;
  readonly operations: NodeOperations;
  readonly clock: Clock;
  /** Runs a read on the primary, under the usual re-run rules. */
  onPrimary<T>(work: Work<Connection, T>, done: Done<T>): void;
}

const READ = { reRunnable: true };

/** Why a replica read went to the primary (or failed with NoReplicaError). */
export type ReadFallbackReason = 'no-replica' | 'replicas-failed' | 'causal-wait';

/** Where a read marked `readFrom: 'replica'` ran: a replica, or the primary and why. */
export type ReplicaReadOutcome = 'replica' | ReadFallbackReason;

/**
 * Reads marked `readFrom: 'replica'`: each goes to the next eligible replica in turn
 * (eligible-replicas.ts). A read is safe to run again, so one that fails on a replica for any reason
 * but its own (the connection died, the node is down) runs on the next replica, and on the primary
 * once none is left (`reads.fallback: 'primary'`). A read `after` a causal token first waits on
 * its replica, up to `reads.causalWaitMs`, for the replica to apply the token's position; if it
 * does not, the primary reads it.
 */
export class ReplicaReads<Connection> {
  private readonly turns = new ReplicaTurns();
  /** Told where each read ran that answered (`pool.metrics()` counts them). */
  onRead: (outcome: ReplicaReadOutcome) => void = () => undefined;
  /** How to cut each read under way on a replica (waiting for a connection, or running), by replica. */
  private readonly running = new Map<string, Set<() => void>>();

  constructor(
    private readonly host: ReplicaReadsHost<Connection>,
    private readonly options: ResolvedReadsOptions,
  ) {}

  send<T>(work: Work<Connection, T>, after: CausalPosition | undefined, done: Done<T>): void {
    const failedOn = new Set<string>();
    const next = (lastError?: unknown) => {
      const eligible = eligibleReplicas(this.host.snapshot(), this.options.maxLagMs);
      // A read after a token skips replicas staler than the wait it may make: it would run out.
      const candidates = after
        ? eligible.filter((n) => (n.lagMs ?? 0) <= this.options.causalWaitMs)
        : eligible;
      const replica = this.turns.next(candidates, failedOn);
      if (!replica) {
        const reason =
          failedOn.size > 0
            ? 'replicas-failed'
            : eligible.length > candidates.length
              ? 'causal-wait'
              : 'no-replica';
        return this.fallback(reason, work, done, lastError);
      }
      const pool = this.host.poolFor(replica);
      const failed = (connection: Connection | undefined, error: unknown) => {
        if (connection !== undefined) pool.release(connection, true, error);
        failedOn.add(replica.name);
        this.host.reportFailure(replica.name, error);
        next(error);
      };
      // Until a connection comes, a replica given up meanwhile (a frozen server accepts the TCP
      // connection and then says nothing) sends the read on at once; a connection that comes late
      // is closed.
      let givenUp = false;
      const stopWaiting = this.track(replica.name, () => {
        givenUp = true;
        failed(undefined, new Error(`${replica.name} stopped answering its probes`));
      });
      pool.acquire((error, connection) => {
        stopWaiting();
        if (givenUp) {
          if (connection !== undefined) pool.release(connection, true);
          return;
        }
        if (error || connection === undefined) return failed(undefined, error);
        const untrack = this.track(replica.name, () => this.host.destroy(connection));
        const read = () =>
          work(connection, replica, (readError, result) => {
            untrack();
            if (readError === undefined || readError === null || readError === false) {
              pool.release(connection, false);
              this.onRead('replica');
              return done(undefined, result);
            }
            // The statement's own error (syntax, a write on a read-only replica...) is the caller's,
            // and so is the app's own timeout (its deadline has passed): as on the primary.
            if (decide(this.host.classify(readError, connection), READ).action !== 'retry') {
              pool.release(connection, true, readError);
              return done(readError);
            }
            failed(connection, readError);
          });
        if (!after) return read();
        const { operations, clock } = this.host;
        const run = this.host.sqlOn(connection);
        waitForCausalPosition(
          operations,
          run,
          replica,
          after.position,
          this.options.causalWaitMs,
          clock,
        ).then(
          (outcome) => {
            if (outcome === 'reached') return read();
            untrack();
            // A connection still waiting on the server is not handed to anyone else.
            const stuck = outcome === 'stuck';
            pool.release(
              connection,
              stuck,
              stuck ? new Error('the causal wait did not answer in time') : undefined,
            );
            this.fallback('causal-wait', work, done, undefined);
          },
          (waitError: unknown) => {
            untrack();
            failed(connection, waitError);
          },
        );
      });
    };
    next();
  }

  /**
   * The monitor gave up on replicas (a probe failed or timed out): the reads running on them are cut
   * now and run on another replica, as reads may be. A frozen replica (a stopped VM, SIGSTOP) keeps
   * its connections open, and its reads would otherwise wait for `failover.abandonAfterMs` (30 s by
   * default) or for TCP. A replica merely slow to answer one probe costs its reads a second run.
   */
  cutReadsOnLost(snapshot: TopologySnapshot): void {
    for (const node of snapshot.nodes) {
      const cuts = this.running.get(node.name);
      if (node.healthy || !cuts || cuts.size === 0) continue;
      for (const cut of [...cuts]) cut();
    }
  }

  /** Counts a read as under way on `node`, `cut` ending it there; the function returned stops counting it. */
  private track(node: string, cut: () => void): () => void {
    let set = this.running.get(node);
    if (!set) {
      set = new Set();
      this.running.set(node, set);
    }
    const running = set;
    const once = () => {
      running.delete(once);
      cut();
    };
    running.add(once);
    return () => running.delete(once);
  }

  private fallback<T>(
    reason: ReadFallbackReason,
    work: Work<Connection, T>,
    done: Done<T>,
    cause: unknown,
  ): void {
    // A primary always holds what a causal token names: the wait ran out, so the primary reads it.
    if (this.options.fallback === 'error' && reason !== 'causal-wait') {
      const why =
        reason === 'no-replica'
          ? `no replica answers within reads.maxLagMs (${this.options.maxLagMs} ms)`
          : 'the read failed on every eligible replica';
      const message = `No replica to read from: ${why}. Set reads.fallback: 'primary' to read from the primary then.`;
      done(new NoReplicaError(message, { cause }));
      return;
    }
    this.host.onPrimary(work, (error, result) => {
      if (error === undefined || error === null || error === false) this.onRead(reason);
      done(error, result);
    });
  }
}
