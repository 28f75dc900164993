import type { PromotionRecord } from '../promotion/events';

/**
 * The shapes the failover bench is built from. Engines (PostgreSQL; MariaDB, for the mysql2 side) plug
 * in a cluster kit; clients plug in a `BenchClient` per engine. The bench drives every client with the
 * same write stream through the same faults and measures them the same way.
 */

export type Engine = 'postgres' | 'mysql';
export type FaultName = 'switchover' | 'kill9' | 'sigstop';
/**
 * The faults a cluster kit injects are its own: primary/replica clusters take FaultName, a Galera
 * cluster its own set (bench/galera/faults.ts). The trial, its measure and its summary only carry
 * the name, hence the type parameter `F` below.
 */
export type AnyFault = string;
export type Replication = 'async' | 'sync';
/**
 * Who promotes a replica after the fault: the harness, as an HA manager would (the recipes of
 * fault-recipes.ts), or the app's own pools with `promotion.enabled` (library-recipe.ts), with nobody
 * else repairing the cluster.
 */
export type Promoter = 'harness' | 'library';
/**
 * How soon a replica gives up a primary that went silent (PostgreSQL `wal_receiver_timeout`, MariaDB
 * `slave_net_timeout`): what decides how soon the library may promote after a hang
 * (receive-timeouts.ts): the harness's settings, the servers' own defaults, or the recommended ones.
 */
export type ReceiveTimeouts = 'harness' | 'server-defaults' | 'recommended';

/** Where a client connects: every node, the initial primary first (as an app would list them). */
export interface Endpoints {
  readonly engine: Engine;
  readonly hosts: readonly { readonly host: string; readonly port: number }[];
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The least-privileged account for promotion by the library, on clusters where the library promotes. */
  readonly promotion?: { readonly user: string; readonly password: string };
}

/** A client under test, opened on one cluster: it inserts ids into the `writes` table. */
export interface WriteTarget {
  /** Resolves when the database acknowledged the insert; rejects with what the app would see. */
  insert(id: number): Promise<void>;
  /** Closes the client. May hang on a dead node: the caller bounds it. */
  close(): Promise<void>;
  /** Errors the client raised outside any call (a child process's unhandled errors, its exit). */
  readonly incidents?: readonly Incident[];
  /** The promotion events of every app instance behind the client, so far (library promotion only). */
  promotions?(): readonly PromotionRecord[];
}

export interface Incident {
  readonly what: string;
  readonly code: string;
  readonly message: string;
}

export interface BenchClient {
  /** Short name for tables: 'failover-pool', 'postgres.js', ... */
  readonly name: string;
  readonly engine: Engine;
  /** How it is configured, in words, for the report. */
  readonly setup: string;
  /** Why it cannot run on this machine (a missing peer install), or undefined when it can. */
  unavailable?(): string | undefined;
  /** Runs only in the scenarios of this promoter (default 'harness'): two promoters would split the cluster. */
  readonly promoter?: Promoter;
  open(endpoints: Endpoints): Promise<WriteTarget>;
}

/** One fault as the harness ran it, in this process's performance.now() clock. */
export interface FaultTimes {
  /** The fault was injected (or the planned switchover began). */
  readonly faultAt: number;
  /** The new primary first accepted writes (left recovery), as a watcher connection saw it. */
  readonly writableAt: number;
  /** The harness finished the whole sequence (replicas repointed, old primary resumed). */
  readonly doneAt: number;
  /** The node that is primary after the fault. */
  readonly newPrimary: string;
  /** What the recipe saw go wrong without failing the trial (a replica that did not follow, say). */
  readonly notes?: readonly string[];
  /**
   * 'longest-gap': the outage is the longest gap between acknowledged writes anywhere from the fault
   * to the first write after `writableAt`, for a sequence in which a client may stall more than once
   * (Galera: the writer moves off a node and back). Default: the gap that ends at that first write.
   */
  readonly outage?: 'longest-gap';
}

/** A running cluster of one engine, with the faults the bench injects and a way to read rows back. */
export interface BenchCluster<F extends AnyFault = FaultName> {
  readonly endpoints: Endpoints;
  readonly nodeNames: readonly string[];
  /** Server version, for the report. */
  readonly version: string;
  inject(scenario: Scenario<F>): Promise<FaultTimes>;
  /** Ids in the `writes` table of `node`, as strings; undefined when the node cannot be read (down). */
  idsOn(node: string): Promise<string[] | undefined>;
  /** How many of `ids` are on `node` (used while the bench waits for a client to recover). */
  countOn(node: string, ids: readonly number[]): Promise<number>;
  destroy(): Promise<void>;
}

/** Starts fresh clusters of one engine; one per trial. */
export interface ClusterKit<F extends AnyFault = FaultName> {
  readonly engine: Engine;
  /** Faults this engine supports, and which replication modes each is run in (and why). */
  readonly scenarios: readonly Scenario<F>[];
  /** Why this engine's servers cannot run on this machine, or undefined when they can. */
  unavailable?(): string | undefined;
  start(scenario: Scenario<F>): Promise<BenchCluster<F>>;
}

export interface Scenario<F extends AnyFault = FaultName> {
  readonly fault: F;
  readonly replication: Replication;
  readonly promoter: Promoter;
  readonly timeouts: ReceiveTimeouts;
  /** At most this many trials, whatever --trials says (a trial that waits a minute for a timeout). */
  readonly maxTrials?: number;
}
