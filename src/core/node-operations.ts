import type { RunSql } from './dialect';

/** Where a replica streams from: the primary's address as the replicas reach it. */
export interface ReplicationSource {
  readonly host: string;
  readonly port: number;
}

/**
 * How a primary makes its commits durable on replicas before it acknowledges them, as read from it
 * (PostgreSQL `synchronous_standby_names`; MariaDB/MySQL semi-synchronous replication), so that a
 * replica promoted in its place can do the same. `settings` are the engine's own, by name.
 */
export type Durability =
  | { readonly synchronous: false }
  | { readonly synchronous: true; readonly settings: Readonly<Record<string, string>> };

/**
 * What can be done to one node, through a session the caller holds (RunSql), in the engine's own
 * SQL: the steps a promotion is made of, the advisory locks that let many app instances agree on
 * one promoter, and the positions that causal reads wait for. Each step reads the node's state
 * before it acts, so repeating it (a promoter that died half-way, a retry) is harmless. The account
 * needs the privileges docs/postgres.md and docs/mysql.md list.
 */
export interface NodeOperations {
  /**
   * Takes the advisory lock `name` for this session without waiting: true when the session holds
   * it. Works on standbys and read-only replicas too; a lock belongs to the one server it was taken
   * on, and is released by `unlock` or when the session ends.
   */
  tryLock(run: RunSql, name: string): Promise<boolean>;
  unlock(run: RunSql, name: string): Promise<void>;
  /**
   * Makes a replica the primary: replication stopped and forgotten, writable. Resolves once the node
   * accepts writes (bounded by `timeoutMs`); on a node that is already a writable primary it does
   * nothing. It does not wait for the replica to apply what it received: choose it after it has.
   */
  promote(run: RunSql, options: { readonly timeoutMs: number }): Promise<void>;
  /**
   * Points a replica at `source`, keeping the replication account it already has, and (MySQL family)
   * GTID positioning. Refuses a node that is not a replica: turning a former primary into a replica
   * needs its history checked first (pg_rewind), which is not this step. With `durability`
   * synchronous (the primary's), the replica also confirms commits to it (MySQL family: semi-sync on
   * the replica side; PostgreSQL needs nothing on a standby).
   */
  repoint(run: RunSql, source: ReplicationSource, durability?: Durability): Promise<void>;
  /** Makes a node read-only for every client session, SUPER users included where the engine can. */
  fence(run: RunSql): Promise<void>;
  /**
   * Everything committed on this node so far, as the engine writes a position (PostgreSQL LSN
   * `0/3000060`; MariaDB GTID list `0-1-42`; MySQL GTID set).
   */
  currentPosition(run: RunSql): Promise<string>;
  /**
   * What a replica has received from its primary, applied or not (PostgreSQL: the last WAL received;
   * MariaDB `Gtid_IO_Pos`; MySQL `Retrieved_Gtid_Set`); undefined when it replicates from nobody or
   * has received nothing. A promotion first waits until the candidates have applied it.
   */
  receivedPosition(run: RunSql): Promise<string | undefined>;
  /** Waits until this node has applied `position` (from `currentPosition`); false when `timeoutMs` ran out. */
  waitForPosition(run: RunSql, position: string, timeoutMs: number): Promise<boolean>;
  /**
   * A Galera member: waits until it has applied every transaction the group committed before the
   * call (`wsrep_sync_wait`); false when the server's wait ran out. Absent where there is no Galera.
   */
  waitForGroupCommits?(run: RunSql): Promise<boolean>;
  /** Whether and how this primary waits for replicas before acknowledging a commit. */
  readDurability(run: RunSql): Promise<Durability>;
  /**
   * Makes this node, a primary just promoted, wait for its replicas as `durability` (read from the
   * former primary) says, towards whichever of its `replicas` (how many now follow it) connect.
   */
  applyDurability(run: RunSql, durability: Durability, replicas: number): Promise<void>;
  /** Waits until at least one replica confirms this primary's commits; false when `timeoutMs` ran out. */
  confirmsSynchronous(run: RunSql, timeoutMs: number): Promise<boolean>;
}
