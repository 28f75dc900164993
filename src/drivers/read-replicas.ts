import { ConfigError } from '../core/errors';

/**
 * The host an ORM's replica entry names to read through `pool.reader()` (docs/orms.md): TypeORM's
 * `replication: { master: {}, slaves: [{ host: READ_REPLICAS }] }`. The ORMs build each replica's
 * pool from that entry's connection options and take no pool object; this name is how the driver
 * module tells a replica entry from the primary's. The module's own `hosts` list the nodes.
 */
export const READ_REPLICAS = 'failover-pool:read-replicas';

/** Whether an ORM's connection options are a replica entry's (their host is READ_REPLICAS). */
export function namesReadReplicas(options: unknown): boolean {
  return (
    typeof options === 'object' && options !== null && (options as { host?: unknown }).host === READ_REPLICAS
  );
}

/** A replica entry needs the nodes from the module's config: the ORM's entry names none. */
export function assertNodesListed(mergedHost: unknown, module: string): void {
  if (mergedHost !== READ_REPLICAS) return;
  throw new ConfigError(
    'hosts',
    `a replica entry (host: READ_REPLICAS) reads through the nodes of ${module}(config): list them in its \`hosts\`.`,
  );
}

/**
 * One pool shared by an ORM's primary entry and its replica entries, so that they share one monitor
 * and one set of connections: the replicas read through the pool's reader, and the primary entry
 * gets the pool itself. An ORM may make the replicas' pools first (TypeORM on PostgreSQL does): the
 * first replica entry then makes the pool, and the primary entry that follows takes it.
 */
export class SharedReplicationPool<Pool> {
  private shared: Pool | undefined;
  /** A primary entry took the shared pool already: a second one gets a pool of its own. */
  private claimed = false;

  constructor(private readonly ended: (pool: Pool) => boolean) {}

  /** The pool a replica entry reads through; `make` opens it if there is none yet. */
  forReplicas(make: () => Pool): Pool {
    if (!this.shared || this.ended(this.shared)) {
      this.shared = make();
      this.claimed = false;
    }
    return this.shared;
  }

  /** The pool for a primary entry (or any pool the ORM asks for): the shared one if unclaimed. */
  forPrimary(make: () => Pool): Pool {
    if (this.shared && !this.ended(this.shared) && !this.claimed) {
      this.claimed = true;
      return this.shared;
    }
    const pool = make();
    if (!this.shared || this.ended(this.shared)) {
      this.shared = pool;
      this.claimed = true;
    }
    return pool;
  }
}
