import type { PoolHealth } from '../../src/core/health';
import type { TestCluster } from '../../src/testing';
import type { OverheadEngine } from '../overhead/workloads';
import type { LagMeasure } from './lag-measure';

export type Rows = Record<string, unknown>[];

/** What a statement adds to be a replica read: `readFrom`, and `after` a causal token. */
export interface ReadFlags {
  readFrom?: 'replica';
  after?: string;
}

/** A statement through the pool's own API (pg's config object, mysql2's options), its rows. */
export type Query = (sql: string, values: unknown[], flags?: ReadFlags) => Promise<Rows>;

/** What both drivers' pools have alike. */
interface ReadsPool {
  causalToken(): Promise<string>;
  health(): PoolHealth;
}

/** How to delay a replica on purpose, through the cluster's superuser account. */
export interface ReplicaDelay {
  readonly statements: readonly string[];
  /** For people: "replay 100 ms late". */
  readonly label: string;
}

export interface ReadsSubject extends ReadsPool {
  query: Query;
  readonly engine: OverheadEngine;
  /** The server and its replication, for people. */
  readonly server: string;
  /** Node names by port: the port a read asked its server for tells who served it. */
  readonly nodeOfPort: ReadonlyMap<number, string>;
  readonly primary: string;
  readonly replicas: readonly string[];
  /** Delays every replica's apply on purpose; says how, for people. */
  delayReplicas(): Promise<string>;
  /** The ways replicas' staleness is measured here, each by a pool of its own (lag-measure.ts). */
  readonly lagMeasures: readonly LagMeasure[];
}

/** The subject of one engine's cells; `delay` makes the replicas look far away, or busy. */
export function readsSubject(
  engine: OverheadEngine,
  server: string,
  cluster: TestCluster,
  pool: ReadsPool,
  query: Query,
  delay: ReplicaDelay,
  lagMeasures: readonly LagMeasure[],
): ReadsSubject {
  const replicas = cluster.nodes.map((n) => n.name).filter((name) => name !== cluster.primary);
  return {
    engine,
    server,
    nodeOfPort: new Map(cluster.nodes.map((n) => [n.port, n.name])),
    primary: cluster.primary,
    replicas,
    query,
    causalToken: () => pool.causalToken(),
    health: () => pool.health(),
    lagMeasures,
    async delayReplicas() {
      for (const node of replicas) for (const sql of delay.statements) await cluster.query(node, sql);
      return delay.label;
    },
  };
}
