/**
 * A Galera node's state as its wsrep_* status variables report it, read by the harness's admin
 * (the app's account may read the same: status variables need no privilege).
 */
export interface GaleraNodeStatus {
  /** `wsrep_cluster_status`: 'Primary', 'non-Primary' (outside the Primary component) or 'Disconnected'. */
  readonly clusterStatus: string;
  /** `wsrep_local_state`: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced; 0 outside a Primary component. */
  readonly localState: number;
  /** `wsrep_local_state_comment`: 'Synced', 'Donor/Desynced', 'Joining', 'Initialized'... */
  readonly localStateComment: string;
  /** `wsrep_ready`: the node takes queries. */
  readonly ready: boolean;
  /** `wsrep_connected`: the node is connected to a group at all (a Primary component or not). */
  readonly connected: boolean;
  /** `wsrep_cluster_size`: members of the component the node is in. */
  readonly clusterSize: number;
  /** `wsrep_local_index`: the node's place in that component. */
  readonly localIndex: number;
  /** `wsrep_cluster_state_uuid`: the cluster's history, the same on every member. */
  readonly clusterStateUuid: string;
  /** `wsrep_gcomm_uuid`: this node's identity in the group; new at every start. */
  readonly nodeUuid: string;
  /** `wsrep_cluster_conf_id`: bumped at every membership change the node goes through. */
  readonly clusterConfId: number;
  /** `wsrep_last_committed`: the sequence number of the last transaction the node committed. */
  readonly lastCommitted: number;
  /** `wsrep_incoming_addresses`: every member's client address, as the members announce them. */
  readonly incomingAddresses: readonly string[];
  /** Usable for an app: Primary, Synced (4) and ready. */
  readonly synced: boolean;
  /** Every wsrep_* status variable as the server gave it, by name without the `wsrep_` prefix. */
  readonly variables: Readonly<Record<string, string>>;
}

/** The rows of `SHOW GLOBAL STATUS LIKE 'wsrep%'`. */
export interface StatusRow {
  readonly Variable_name: string;
  readonly Value: string | null;
}

export const GALERA_STATUS_SQL = "SHOW GLOBAL STATUS LIKE 'wsrep\\_%'";

const SYNCED = 4;

export function galeraStatusOf(rows: readonly StatusRow[]): GaleraNodeStatus {
  const variables: Record<string, string> = {};
  for (const row of rows) variables[row.Variable_name.toLowerCase().replace(/^wsrep_/, '')] = row.Value ?? '';
  const text = (name: string) => variables[name] ?? '';
  const number = (name: string) => (variables[name] === undefined ? Number.NaN : Number(variables[name]));
  const clusterStatus = text('cluster_status');
  const localState = number('local_state');
  const ready = text('ready') === 'ON';
  return {
    clusterStatus,
    localState,
    localStateComment: text('local_state_comment'),
    ready,
    connected: text('connected') === 'ON',
    clusterSize: number('cluster_size'),
    localIndex: number('local_index'),
    clusterStateUuid: text('cluster_state_uuid'),
    nodeUuid: text('gcomm_uuid'),
    clusterConfId: number('cluster_conf_id'),
    lastCommitted: number('last_committed'),
    incomingAddresses: text('incoming_addresses').split(',').filter(Boolean),
    synced: clusterStatus === 'Primary' && localState === SYNCED && ready,
    variables,
  };
}

/** One line for waits and errors: `Primary, Synced (4), ready, size 3`. */
export function describeGaleraStatus(status: GaleraNodeStatus): string {
  return (
    `${status.clusterStatus || 'no cluster status'}, ${status.localStateComment} (${status.localState}), ` +
    `${status.ready ? 'ready' : 'not ready'}, size ${status.clusterSize}`
  );
}
