import type { Row } from '../../core/dialect';
import type { GaleraState } from '../../core/node';
import { withoutUndefined } from '../../core/objects';
import { numberOf, stringOf, truthy } from './values';

/**
 * What a MariaDB Galera node says about its place in the cluster, read in the probe's one SELECT.
 * The wsrep status values come from information_schema.GLOBAL_STATUS, pivoted into one row, so that
 * the probe stays one statement (SHOW STATUS could not be combined with the variables). A node
 * outside the Primary component still answers it: information_schema is readable there, where
 * every table of the app's refuses with 1047.
 */

/** The status values the probe reads, as GLOBAL_STATUS names them. */
const STATUS = [
  'wsrep_cluster_status',
  'wsrep_local_state',
  'wsrep_local_state_comment',
  'wsrep_ready',
  'wsrep_local_index',
  'wsrep_cluster_size',
  'wsrep_cluster_conf_id',
  'wsrep_cluster_state_uuid',
  'wsrep_gcomm_uuid',
] as const;

/** `wsrep_local_state` of a node that has all the cluster's writes and applies them as they come. */
const SYNCED = 4;

/** The variables part of the probe on a Galera node: `variables` plus the node's wsrep state. */
export function galeraVariablesSql(variables: string): string {
  const columns = STATUS.map(
    (name) => `MAX(IF(VARIABLE_NAME = '${name.toUpperCase()}', VARIABLE_VALUE, NULL)) AS ${name}`,
  );
  const names = STATUS.map((name) => `'${name.toUpperCase()}'`).join(', ');
  return `${variables}, @@global.wsrep_node_name AS wsrep_node_name,
     ${columns.join(',\n     ')}
     FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN (${names})`;
}

/**
 * True when the server runs as a Galera node: it has loaded a wsrep provider (`none` without one).
 * Not `@@global.wsrep_on`: a Galera node of MariaDB 10.11 started with `--wsrep-on` reported 0 there.
 */
export function isGaleraNode(variables: Row): boolean {
  const provider = stringOf(variables.wsrep_provider);
  return provider !== undefined && provider !== '' && provider.toLowerCase() !== 'none';
}

/** The node's Galera state, from the probe's row; undefined when the row has none (not Galera). */
export function galeraStateOf(variables: Row): GaleraState | undefined {
  const clusterStatus = stringOf(variables.wsrep_cluster_status);
  if (clusterStatus === undefined) return undefined;
  const localState = numberOf(variables.wsrep_local_state);
  const ready = truthy(variables.wsrep_ready);
  return withoutUndefined({
    clusterStatus,
    localState,
    localStateComment: stringOf(variables.wsrep_local_state_comment),
    ready,
    // Donor, Desynced, Joiner, Joined: the node lags or may block; it is not used (docs/galera.md).
    usable: clusterStatus === 'Primary' && localState === SYNCED && ready,
    localIndex: numberOf(variables.wsrep_local_index),
    clusterSize: numberOf(variables.wsrep_cluster_size),
    confId: numberOf(variables.wsrep_cluster_conf_id),
    stateUuid: stringOf(variables.wsrep_cluster_state_uuid),
    nodeUuid: stringOf(variables.wsrep_gcomm_uuid),
    nodeName: stringOf(variables.wsrep_node_name),
  });
}
