/**
 * Galera probe replies and errors, recorded from a 3-node MariaDB 10.11.19 Galera cluster (galera-4
 * 26.4, startGaleraCluster) through mysql2, as the app's account (no SUPER): the probe's variables
 * row on a Galera node, as src/dialects/mysql/galera.ts asks for it. Not from the recording:
 * `wsrep_provider` (the path Debian's galera-4 installs) and `wsrep_local_state_comment`.
 */

const COMMON = {
  read_only: 0,
  version: '10.11.19-MariaDB-0+deb12u1',
  gtid_domain_id: 0,
  gtid_binlog_state: '',
  gtid_slave_pos: '',
  gtid_current_pos: '',
  wsrep_provider: '/usr/lib/galera/libgalera_smm.so',
  wsrep_cluster_state_uuid: '7c81170d-f12b-11f1-b141-2adcf73162e8',
};

/** node1 of three, Synced in the Primary component (local index 0). */
export const GALERA_NODE1_SYNCED = {
  ...COMMON,
  server_id: 1,
  wsrep_node_name: 'node1',
  wsrep_cluster_status: 'Primary',
  wsrep_local_state: '4',
  wsrep_local_state_comment: 'Synced',
  wsrep_ready: 'ON',
  wsrep_local_index: '0',
  wsrep_cluster_size: '3',
  wsrep_cluster_conf_id: '3',
  wsrep_gcomm_uuid: '7c80b12d-f12b-11f1-b646-f354e29835c2',
};

/** node3 of the same cluster: local index 2, its node UUID the highest of the three. */
export const GALERA_NODE3_SYNCED = {
  ...GALERA_NODE1_SYNCED,
  server_id: 3,
  wsrep_node_name: 'node3',
  wsrep_local_index: '2',
  wsrep_gcomm_uuid: '7ee2e776-f12b-11f1-ac07-fa55d3e3fce0',
};

/** node1 once node2 and node3 were isolated (gmcast.isolate): no quorum, a component of one. */
export const GALERA_NODE1_NO_QUORUM = {
  ...GALERA_NODE1_SYNCED,
  wsrep_cluster_status: 'non-Primary',
  wsrep_local_state: '0',
  wsrep_local_state_comment: 'Initialized',
  wsrep_ready: 'OFF',
  wsrep_cluster_size: '1',
  wsrep_cluster_conf_id: '18446744073709551615',
};

/** A write on node1 then. */
export const GALERA_NOT_PREPARED = {
  errno: 1047,
  code: 'ER_UNKNOWN_COM_ERROR',
  message: 'WSREP has not yet prepared node for application use',
  sqlState: '08S01',
};

/**
 * A write on node3 just after it was isolated, before it noticed it had left the Primary component.
 * The group may have got it: in test/integration/galera-pool.test.ts one such write was in the table.
 */
export const GALERA_NOT_CONNECTED = {
  errno: 1180,
  code: 'ER_ERROR_DURING_COMMIT',
  message:
    'Error while appending streaming replication fragment(provider status: Not connected to Primary Component)',
  sqlState: 'HY000',
};

/**
 * The COMMIT of a transaction on node1 that updated a row node2 had updated (autocommit) meanwhile:
 * a certification failure, reported as a deadlock.
 */
export const GALERA_CERTIFICATION_FAILURE = {
  errno: 1213,
  code: 'ER_LOCK_DEADLOCK',
  message: 'Deadlock found when trying to get lock; try restarting transaction',
  sqlState: '40001',
};
