import type { NodeView } from '../../core/node';
import { withoutUndefined } from '../../core/objects';
import type { TopologySnapshot } from '../../core/topology';

/** A node with PostgreSQL's own names for the neutral fields, for people reading it. */
export interface PgNodeView extends NodeView {
  /** WAL position (`position`): current LSN on a primary, the furthest received/replayed on a standby. */
  readonly lsn?: string;
  /** Timeline (`generation`), known for primaries. */
  readonly timeline?: number;
  /** `system_identifier` (`identity`). */
  readonly systemIdentifier?: string;
}

export interface PgTopology extends Omit<TopologySnapshot, 'primary' | 'nodes'> {
  /** `host:port` of the primary, or null while there is none. */
  readonly primary: string | null;
  readonly nodes: readonly PgNodeView[];
}

export function toPgTopology(snapshot: TopologySnapshot): PgTopology {
  return {
    ...snapshot,
    primary: snapshot.primary?.name ?? null,
    nodes: snapshot.nodes.map((node) =>
      withoutUndefined({
        ...node,
        lsn: node.position,
        timeline: node.generation,
        systemIdentifier: node.identity,
      }),
    ),
  };
}
