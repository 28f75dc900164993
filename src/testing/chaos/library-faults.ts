/**
 * The faults of the chaos matrix that the app recovers from by itself: promotion by the library
 * (docs/promotion.md), with several app instances on the cluster and nobody else repairing it. The
 * trial counts the promotions the instances report; exactly `promotions` must happen.
 */
import { partitionPrimary } from './faults';
import { type PrimaryFailure, stopProcesses, whilePrimaryFailed } from './primary-failure';
import type { ChaosFault, FaultContext, LibraryPromotion } from './types';

/**
 * How long the instances may take to promote. A hung primary is noticed only once the replicas'
 * receive timeout has passed (5 s on PostgreSQL, 4 s on MariaDB in the suite), and the promotion
 * itself may take promotion.promoteTimeoutMs (10 s), plus the repointing of the other replicas.
 */
const PROMOTION_LIMIT_MS = 30_000;
/** How long the instances may take to fence a former primary once it is back. */
const FENCE_LIMIT_MS = 15_000;
const REPLICATION_LIMIT_MS = 30_000;

const PROMOTED_BY_LIBRARY = { replicas: 2, promoter: 'library', promotions: 1 } as const;

function libraryOf(context: FaultContext): LibraryPromotion {
  if (!context.library) throw new Error('This trial runs no app instance with promotion enabled.');
  return context.library;
}

/**
 * Waits for an app instance to promote a replica, then checks the rest of the library's work: every
 * other surviving replica replicates from the new primary (the promoting instance repointed it).
 */
async function awaitLibraryFailover(context: FaultContext, failed: string): Promise<void> {
  const next = await libraryOf(context).promoted(PROMOTION_LIMIT_MS);
  const others = context.cluster.nodes
    .map((node) => node.name)
    .filter((node) => node !== failed && node !== next && !context.down.has(node));
  await Promise.all(
    others.map((replica) => context.cluster.waitForReplication(replica, REPLICATION_LIMIT_MS, next)),
  );
}

/**
 * The primary fails; the instances promote a replica; then the old primary comes back, writable on
 * its old history, and an instance must fence it. Nothing may be written to it meanwhile (the trial
 * looks for strays there).
 */
function primaryReplacedByLibrary(
  name: string,
  title: string,
  what: string,
  fail: PrimaryFailure,
): ChaosFault {
  return {
    name,
    title,
    ...PROMOTED_BY_LIBRARY,
    async run(context) {
      const old = await whilePrimaryFailed(context, what, fail, (failed) =>
        awaitLibraryFailover(context, failed),
      );
      await libraryOf(context).fenced(old, FENCE_LIMIT_MS);
    },
  };
}

const killPrimary = primaryReplacedByLibrary(
  'library-kill-primary',
  'kill -9 primary, library promotes',
  'kill -9',
  (context, node) => {
    context.cluster.kill(node, 'SIGKILL');
    context.down.add(node);
    return async () => {
      await context.cluster.start(node);
      context.down.delete(node);
    };
  },
);

// Only where the replicas notice a silent primary within seconds (their receive timeout): until
// then they still say they receive, and rule 1 of docs/promotion.md forbids a promotion.
const stopPrimary = primaryReplacedByLibrary(
  'library-sigstop-primary',
  'SIGSTOP primary, library promotes',
  'SIGSTOP',
  stopProcesses,
);

// The app alone is cut from a healthy primary that the replicas still stream from: no instance may
// promote (replicas-still-receiving), and the writes wait for the same primary.
const partitionWithPromotionOn: ChaosFault = {
  ...partitionPrimary,
  name: 'library-partition-primary',
  title: 'partition primary from app, library on',
  promoter: 'library',
  promotions: 0,
};

/** In report order. */
export const LIBRARY_FAULTS: readonly ChaosFault[] = [killPrimary, stopPrimary, partitionWithPromotionOn];
