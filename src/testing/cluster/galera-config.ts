import {
  type LocalServerSettings,
  localServerSettings,
  type MariadbSettingValue,
  renderSettings,
} from './mariadb-config';
import { HOST } from './test-cluster';

/** A Galera node's own ports besides its client port, each on loopback. */
export interface GaleraPorts {
  /** Group communication between the nodes (`gmcast.listen_addr`). */
  readonly group: number;
  /** Incremental state transfer, received by a node that rejoins (`ist.recv_addr`). */
  readonly ist: number;
  /** Full state transfer by rsync, received by a node that joins empty (`wsrep_sst_receive_address`). */
  readonly sst: number;
}

export type GaleraProviderOptions = Record<string, string | number | boolean>;

/**
 * Galera's failure detection, shortened so that a test sees a fault within a second or two instead
 * of Galera's 5 to 15 s. Checked here on galera-4 26.4, three nodes on loopback on a loaded 2-core
 * machine: after kill -9, SIGSTOP or `gmcast.isolate=1` of one node the other two formed a Primary
 * component of two in 1.3 to 1.7 s; a node restarted or un-isolated was Synced again in 3.5 to 6 s.
 *
 * - `evs.suspect_timeout` 1 s (default 5 s): a peer silent that long is suspected, and dropped
 *   once the others agree. Galera refuses `evs.keepalive_period` of a third of it or more, and
 *   `evs.inactive_check_period` of half of it or more ("out of range"; the node exits).
 * - `evs.keepalive_period` 0.3 s (default 1 s): an idle node sends this often, so silence means trouble.
 * - `evs.inactive_check_period` 0.3 s (default 0.5 s): how often a node checks for silent peers.
 * - `evs.inactive_timeout` 2 s (default 15 s): a peer silent that long is dropped without agreement.
 * - `evs.install_timeout` 2 s (default 7.5 s): how long forming a new membership may take.
 * - `evs.join_retrans_period` 0.2 s (default 1 s): join messages resent this often while a
 *   membership forms. With the default, the short install timeout ran out before the nodes agreed,
 *   and an un-isolated node took over 10 s to get back in, or never did.
 * - `gmcast.peer_timeout` 1 s (default 3 s): how long a connection attempt to a peer may take.
 * - `gcache.size` 32M (default 128M, a file preallocated in each data folder): plenty for the
 *   incremental state transfer of a test's writes, a quarter of the memory on /dev/shm.
 *
 * Two nodes joining at once broke up the Primary component here (seen with the short timeouts and
 * the default join_retrans_period: the nodes suspected each other while busy with the state
 * transfers). The harness joins one node at a time; a donor serves one transfer at a time anyway.
 */
export const GALERA_PROVIDER_DEFAULTS: Readonly<GaleraProviderOptions> = {
  'evs.keepalive_period': 'PT0.3S',
  'evs.suspect_timeout': 'PT1S',
  'evs.inactive_check_period': 'PT0.3S',
  'evs.inactive_timeout': 'PT2S',
  'evs.install_timeout': 'PT2S',
  'evs.join_retrans_period': 'PT0.2S',
  'gmcast.peer_timeout': 'PT1S',
  'gcache.size': '32M',
};

/** Seconds in an ISO 8601 period such as `PT1S`, `PT0.3S` or `PT1M30S`; undefined for any other form. */
function seconds(period: string | number | boolean | undefined): number | undefined {
  const match =
    typeof period === 'string'
      ? /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(period)
      : null;
  if (!match || period === 'PT') return undefined;
  const [, hours = '0', minutes = '0', secs = '0'] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(secs);
}

/**
 * Galera's own limits on the failure detection periods, checked before any node starts: a node
 * given more exits, and its log does not always say why (seen here: "Failed to set thread
 * schedparams ... No such process" instead of the out-of-range message, in 3 starts of 8).
 */
export function checkProviderOptions(overrides: Readonly<GaleraProviderOptions>): void {
  const options = { ...GALERA_PROVIDER_DEFAULTS, ...overrides };
  const suspect = seconds(options['evs.suspect_timeout']);
  if (suspect === undefined) return;
  const limits = [
    { name: 'evs.keepalive_period', share: 3, part: 'a third' },
    { name: 'evs.inactive_check_period', share: 2, part: 'half' },
  ];
  for (const { name, share, part } of limits) {
    const value = seconds(options[name]);
    if (value !== undefined && value >= suspect / share) {
      throw new Error(
        `Galera refuses ${name}=${options[name]}: it must stay below ${part} of evs.suspect_timeout ` +
          `(${options['evs.suspect_timeout']}).`,
      );
    }
  }
}

export interface GaleraNodeSettings extends LocalServerSettings {
  readonly name: string;
  /** `wsrep_cluster_name`: the same on every node, unique to the cluster. */
  readonly clusterName: string;
  readonly provider: string;
  readonly ports: GaleraPorts;
  /** Every node's group port, this one's included: where a starting node looks for the cluster. */
  readonly peers: readonly number[];
  /** Start a new cluster (`--wsrep-new-cluster`) rather than join one. */
  readonly newCluster: boolean;
  /** An empty option file (see galeraServerArgs). */
  readonly defaultsFile: string;
  readonly providerOptions: Readonly<GaleraProviderOptions>;
  readonly extra: Record<string, MariadbSettingValue>;
}

/** `a=1;b=2`, with the node's own addresses, which no option may move. */
function providerOptionsOf(node: GaleraNodeSettings): string {
  const options: GaleraProviderOptions = {
    ...GALERA_PROVIDER_DEFAULTS,
    ...node.providerOptions,
    'gmcast.listen_addr': `tcp://${HOST}:${node.ports.group}`,
    'ist.recv_addr': `${HOST}:${node.ports.ist}`,
  };
  return Object.entries(options)
    .map(([name, value]) => {
      const text = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
      if (/[;=]/.test(name) || text.includes(';')) {
        throw new Error(`Galera provider option "${name}=${text}" may not hold ';' (nor '=' in its name).`);
      }
      return `${name}=${text}`;
    })
    .join(';');
}

/**
 * The command line of one Galera node. `--defaults-file` names an empty file rather than
 * `--no-defaults`: mariadbd hands its option file to the state transfer script, which otherwise
 * reads the machine's own my.cnf (its data and log folders, its [sst] settings) and would place a
 * test node's files there.
 */
export function galeraServerArgs(node: GaleraNodeSettings): string[] {
  const settings: Record<string, MariadbSettingValue> = {
    ...localServerSettings(node),
    // What Galera requires: row-based replication of InnoDB tables, and interleaved auto-increment
    // locks (its appliers insert in parallel).
    'binlog-format': 'ROW',
    'default-storage-engine': 'InnoDB',
    'innodb-autoinc-lock-mode': 2,
    'wsrep-on': true,
    'wsrep-provider': node.provider,
    'wsrep-cluster-name': node.clusterName,
    'wsrep-cluster-address': `gcomm://${node.peers.map((port) => `${HOST}:${port}`).join(',')}`,
    'wsrep-node-name': node.name,
    'wsrep-node-address': `${HOST}:${node.ports.group}`,
    // What the node tells the others (wsrep_incoming_addresses) about where clients reach it.
    'wsrep-node-incoming-address': `${HOST}:${node.port}`,
    'wsrep-sst-method': 'rsync',
    'wsrep-sst-receive-address': `${HOST}:${node.ports.sst}`,
    'wsrep-provider-options': providerOptionsOf(node),
    ...node.extra,
  };
  return [
    `--defaults-file=${node.defaultsFile}`,
    ...renderSettings(settings),
    ...(node.newCluster ? ['--wsrep-new-cluster'] : []),
  ];
}
