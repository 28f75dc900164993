import type { Engine, ReceiveTimeouts } from './types';

/**
 * How soon a replica gives up a primary that went silent. After kill -9 the primary's sockets close
 * and the replicas know at once; after a hang (SIGSTOP) they see nothing until their receive
 * timeout, and the library promotes only once every replica it reaches has lost the primary
 * (docs/promotion.md, rule 1). So these settings, not the library, bound the outage after a hang.
 *
 * - PostgreSQL `wal_receiver_timeout`: server default 60 s; the harness leaves it so.
 * - MariaDB `slave_net_timeout`: server default 60 s (with heartbeats every 30 s); the harness sets
 *   4 s (src/testing/cluster/mariadb-config.ts). Recommended here: 5 s, and a heartbeat every
 *   second (`CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = 1`), so that an idle primary is never
 *   taken for a silent one.
 */
export const SERVER_SETTINGS: Record<Engine, Record<ReceiveTimeouts, Record<string, string | number>>> = {
  postgres: {
    harness: {},
    'server-defaults': { wal_receiver_timeout: '60s' },
    recommended: { wal_receiver_timeout: '5s' },
  },
  mysql: {
    harness: {},
    'server-defaults': { 'slave-net-timeout': 60 },
    recommended: { 'slave-net-timeout': 5 },
  },
};

/** MariaDB's heartbeat period per setting, in seconds, set on every replica after start (none: the server's). */
export const MARIADB_HEARTBEAT_S: Partial<Record<ReceiveTimeouts, number>> = { recommended: 1 };

const LABELS: Record<Engine, Record<ReceiveTimeouts, string>> = {
  postgres: {
    harness: 'wal_receiver_timeout 60 s (harness = server default)',
    'server-defaults': 'wal_receiver_timeout 60 s (server default)',
    recommended: 'wal_receiver_timeout 5 s',
  },
  mysql: {
    harness: 'slave_net_timeout 4 s, heartbeat 2 s (harness)',
    'server-defaults': 'slave_net_timeout 60 s, heartbeat 30 s (server defaults)',
    recommended: 'slave_net_timeout 5 s, heartbeat 1 s',
  },
};

/** The receive timeout of a scenario, in words, for the tables. */
export const timeoutsLabel = (engine: Engine, timeouts: ReceiveTimeouts): string => LABELS[engine][timeouts];
