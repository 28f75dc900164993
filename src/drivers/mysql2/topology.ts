import type { NodeView } from '../../core/node';
import { withoutUndefined } from '../../core/objects';
import type { TopologySnapshot } from '../../core/topology';

/** A node with MySQL's own names for the neutral fields, for people reading it. */
export interface MysqlNodeView extends NodeView {
  /** GTID position (`position`): MariaDB `gtid_current_pos`, MySQL `gtid_executed`. */
  readonly gtid?: string;
  /** A replica's `Seconds_Behind_Source` (`Seconds_Behind_Master`), when the server reports one. */
  readonly secondsBehindSource?: number;
}

export interface MysqlTopology extends Omit<TopologySnapshot, 'primary' | 'nodes'> {
  /** `host:port` of the primary, or null while there is none. */
  readonly primary: string | null;
  readonly nodes: readonly MysqlNodeView[];
}

export function toMysqlTopology(snapshot: TopologySnapshot): MysqlTopology {
  return {
    ...snapshot,
    primary: snapshot.primary?.name ?? null,
    nodes: snapshot.nodes.map((node) =>
      withoutUndefined({ ...node, gtid: node.position, secondsBehindSource: node.replication?.lagSeconds }),
    ),
  };
}
