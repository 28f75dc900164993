import type { NodeProber, ProberOptions, Row, RunSql } from '../../core/dialect';
import type { NodeProbe, ReplicationLink } from '../../core/node';
import { withoutUndefined } from '../../core/objects';
import { unreadableAnswer } from '../../core/probe-answer';
import { errnoOf } from './errors';
import { type MysqlServerVersion, replicaStatusStatements, serverVersionOf } from './flavour';
import { galeraStateOf, galeraVariablesSql, isGaleraNode } from './galera';
import { parseGtidList, takeoverSequence } from './gtid';
import { heartbeatAgeSql } from './heartbeat';
import { numberOf, stringOf, truthy } from './values';

/**
 * MySQL and MariaDB, told apart by the version string.
 *
 * Role. A node is a replica while it replicates (an IO thread running or connecting, or an SQL
 * thread running), whatever its `read_only` says: a replica left writable by mistake must never
 * get the app's writes. Otherwise it is a primary, writable unless `read_only` (or MySQL's
 * `super_read_only`) is on. Without the privilege to read the replica status (MariaDB SLAVE MONITOR,
 * MySQL REPLICATION CLIENT) only `read_only` is left to go by.
 *
 * Generation. MySQL and MariaDB have no timeline. On MariaDB the generation is the GTID sequence at
 * which the node took over (gtid.ts), so a returning old primary loses to the one promoted
 * after it. On MySQL (GTIDs are per-server UUID sets, with no order between servers) there is none:
 * of two writable nodes the one the replicas follow wins, and if that does not decide it, nobody gets
 * writes (split brain).
 *
 * Galera (MariaDB). A node that has loaded a wsrep provider is a Galera node: its probe reads its
 * wsrep state too (galera.ts), and the topology chooses one writer among them (core/galera-writer.ts).
 *
 * Identity. Neither engine has a cluster identifier (a server_uuid names one server, not its
 * cluster), so no node is refused as "from another cluster". A foreign writable node is never
 * followed by this cluster's replicas, so it loses to the real primary by the rules above, or
 * stops writes as a split brain.
 */

/** What the probe learns once per probe connection: the server, and which statements work there. */
export interface MysqlProbeMemory {
  server?: MysqlServerVersion;
  variablesIndex?: number;
  replicaIndex?: number;
  /** The account may not read the replica status; the role then comes from read_only alone. */
  replicaStatusDenied?: boolean;
  /**
   * Whether both statements go in one round trip (the probe connection allows multiple statements):
   * unknown until tried, after the first probe has found which statements work here.
   */
  combined?: boolean;
  /**
   * The node runs Galera (it has loaded a `wsrep_provider`): every probe then reads its wsrep state
   * too, in the same SELECT. Unknown until the first probe's variables have answered.
   */
  galera?: boolean;
  /** `reads.heartbeat.table`: the combined probe reads the age of the beat this node holds. */
  heartbeatTable?: string;
  /**
   * Probes left before the heartbeat is read again, after the server refused it (the table not
   * created yet, or not readable by this account): meanwhile, staleness is Seconds_Behind_Source.
   */
  heartbeatPause?: number;
}

const MARIADB_GTID_VARIABLES = `SELECT @@global.read_only AS read_only, @@version AS version,
     @@server_id AS server_id, @@global.gtid_domain_id AS gtid_domain_id,
     @@global.gtid_binlog_state AS gtid_binlog_state, @@global.gtid_slave_pos AS gtid_slave_pos, @@global.gtid_current_pos AS gtid_current_pos`;

const MARIADB_VARIABLES = [
  // wsrep_provider tells a Galera node (MariaDB 10.1+ has the variable, 'none' without Galera).
  `${MARIADB_GTID_VARIABLES}, @@global.wsrep_provider AS wsrep_provider`,
  // A MariaDB built without wsrep (10.0) has no wsrep_provider.
  MARIADB_GTID_VARIABLES,
  // Before GTIDs (MariaDB 5.5): role only.
  'SELECT @@global.read_only AS read_only, @@version AS version, @@server_id AS server_id',
];

const MYSQL_VARIABLES = [
  `SELECT @@global.read_only AS read_only, @@global.super_read_only AS super_read_only,
     @@version AS version, @@server_id AS server_id, @@global.gtid_executed AS gtid_executed`,
  // Before super_read_only (5.7.8) and GTIDs (5.6).
  'SELECT @@global.read_only AS read_only, @@version AS version, @@server_id AS server_id',
];

/** ER_PARSE_ERROR, ER_UNKNOWN_SYSTEM_VARIABLE: this statement does not exist on this version. */
const UNSUPPORTED_ERRNOS = new Set([1064, 1193]);
/** ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR on the statement (not at login). */
const DENIED_ERRNOS = new Set([1227, 1045]);
/**
 * What only the heartbeat's statement can get: no such table (1146) or database (1049), SELECT
 * denied on it (1142), a table of that name with other columns (1054).
 */
const HEARTBEAT_ERRNOS = new Set([1146, 1049, 1142, 1054]);
/** After the heartbeat was refused, probes before it is read again (~30 s at the default interval). */
const HEARTBEAT_PAUSE_PROBES = 30;

/** A prober for one connection: it learns the server's version and which statements work there. */
export function createMysqlProber(options?: ProberOptions): NodeProber {
  const memory: MysqlProbeMemory = withoutUndefined({ heartbeatTable: options?.heartbeatTable });
  return (run) => probeMysql(run, memory);
}

/**
 * Asks a node what it is on the monitor's own connection: the first probe finds out the server and
 * which statements work there (three round trips); later ones send the variables and the replica
 * status as one multi-statement query, so that a probe is one query (many app instances each probe
 * every node every second).
 */
export async function probeMysql(run: RunSql, memory: MysqlProbeMemory): Promise<NodeProbe> {
  memory.server ??= await serverVersionOf(run);
  const server = memory.server;
  const combined = await combinedProbe(run, server, memory);
  if (combined) return combined;
  let variables = await firstThatWorks(
    run,
    variableStatements(server, memory),
    memory.variablesIndex ?? 0,
    (index) => {
      memory.variablesIndex = index;
    },
  );
  if (memory.galera === undefined) {
    // The first probe learns whether the node runs Galera; if so, it asks again for its wsrep state.
    memory.galera = isGaleraNode(variables[0] ?? {});
    const galeraSql = variableStatements(server, memory)[memory.variablesIndex ?? 0];
    if (memory.galera && galeraSql) variables = await run(galeraSql);
  }
  const replicaRows = memory.replicaStatusDenied ? undefined : await replicaStatus(run, server, memory);
  return parseProbe(server, variables[0] ?? {}, replicaRows);
}

/** The probe in one round trip, once the statements are known; undefined when that cannot be done. */
async function combinedProbe(
  run: RunSql,
  server: MysqlServerVersion,
  memory: MysqlProbeMemory,
  withHeartbeat = true,
): Promise<NodeProbe | undefined> {
  if (memory.combined === false || memory.variablesIndex === undefined) return undefined;
  if (memory.replicaStatusDenied || memory.replicaIndex === undefined) return undefined;
  const variablesSql = variableStatements(server, memory)[memory.variablesIndex];
  const statusSql = replicaStatusStatements(server)[memory.replicaIndex];
  if (!variablesSql || !statusSql) return undefined;
  const heartbeatSql = withHeartbeat ? heartbeatStatement(memory) : undefined;
  const statements = heartbeatSql ? [variablesSql, statusSql, heartbeatSql] : [variablesSql, statusSql];
  try {
    // Each statement's rows, in order: mysql2's answer to a multi-statement query.
    const results = (await run(statements.join(';\n'))) as readonly unknown[];
    const [variables, status, heartbeat] = results;
    if (results.length !== statements.length || !Array.isArray(variables) || !Array.isArray(status)) {
      memory.combined = false;
      return undefined;
    }
    memory.combined = true;
    const ageUs = Array.isArray(heartbeat)
      ? numberOf((heartbeat[0] as Row | undefined)?.heartbeat_age_us)
      : undefined;
    return parseProbe(server, (variables[0] as Row | undefined) ?? {}, status as Row[], ageUs);
  } catch (error) {
    const errno = errnoOf(error);
    if (heartbeatSql && errno !== undefined && HEARTBEAT_ERRNOS.has(errno)) {
      // The statements before it ran; the connection is fine: probe again without the heartbeat.
      memory.heartbeatPause = HEARTBEAT_PAUSE_PROBES;
      return combinedProbe(run, server, memory, false);
    }
    // A connection without multiple statements answers with a syntax error (1064): ask one by one.
    if (memory.combined === true || errno !== 1064) throw error;
    memory.combined = false;
    return undefined;
  }
}

/** The heartbeat's statement for this probe, unless there is none or it is paused. */
function heartbeatStatement(memory: MysqlProbeMemory): string | undefined {
  if (memory.heartbeatTable === undefined) return undefined;
  if (memory.heartbeatPause) {
    memory.heartbeatPause--;
    return undefined;
  }
  return heartbeatAgeSql(memory.heartbeatTable);
}

/** The variables statements this server may know, best first; with the wsrep state on a Galera node. */
function variableStatements(server: MysqlServerVersion, memory: MysqlProbeMemory): readonly string[] {
  if (server.flavour !== 'mariadb') return MYSQL_VARIABLES;
  return memory.galera ? MARIADB_VARIABLES.map(galeraVariablesSql) : MARIADB_VARIABLES;
}

async function replicaStatus(
  run: RunSql,
  server: MysqlServerVersion,
  memory: MysqlProbeMemory,
): Promise<readonly Row[] | undefined> {
  try {
    return await firstThatWorks(run, replicaStatusStatements(server), memory.replicaIndex ?? 0, (index) => {
      memory.replicaIndex = index;
    });
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === undefined || !DENIED_ERRNOS.has(errno)) throw error;
    memory.replicaStatusDenied = true;
    return undefined;
  }
}

/** Runs `statements[start]`, moving on to the next one while the server says it does not know it. */
async function firstThatWorks(
  run: RunSql,
  statements: readonly string[],
  start: number,
  remember: (index: number) => void,
): Promise<readonly Row[]> {
  for (let index = start; ; index++) {
    try {
      const rows = await run(statements[index] as string);
      remember(index);
      return rows;
    } catch (error) {
      const errno = errnoOf(error);
      const last = index + 1 >= statements.length;
      if (last || errno === undefined || !UNSUPPORTED_ERRNOS.has(errno)) throw error;
    }
  }
}

/**
 * The probe's answer as the engine takes it. `replicaRows` is the replica status (one row per
 * channel; none on a primary), or undefined when the account may not read it. `heartbeatAgeUs`: how
 * old the heartbeat row this node holds is (reads.heartbeat), when it was read.
 */
export function parseProbe(
  server: MysqlServerVersion,
  variables: Row,
  replicaRows: readonly Row[] | undefined,
  heartbeatAgeUs?: number,
): NodeProbe {
  if (numberOf(variables.read_only) === undefined && stringOf(variables.read_only) === undefined) {
    throw unreadableAnswer('read_only', 'a number or a string', variables.read_only);
  }
  const readOnly = truthy(variables.read_only) || truthy(variables.super_read_only);
  const links = (replicaRows ?? []).map(parseReplicaRow);
  const replicating = replicaRows === undefined ? readOnly : links.some((link) => link.replicating);
  const role = replicating ? 'replica' : 'primary';
  const mariadb = server.flavour === 'mariadb';
  const galera = galeraStateOf(variables);
  const replication = replicationOf(links);
  const position = stringOf(mariadb ? variables.gtid_current_pos : variables.gtid_executed)?.replace(
    /\s+/g,
    '',
  );
  return withoutUndefined({
    role,
    // A Galera node outside the Primary component, or not Synced, refuses (or should not get) writes.
    writable: !replicating && !readOnly && (galera?.usable ?? true),
    // Galera nodes all commit the same transactions: a takeover sequence means nothing there.
    generation: role === 'primary' && mariadb && !galera ? mariadbGeneration(variables) : undefined,
    position: position === '' ? undefined : position,
    replication,
    lagMs: role === 'replica' ? replicaLagMs(replication, heartbeatAgeUs) : undefined,
    lineage: role === 'primary' ? lineageOf(variables, mariadb) : undefined,
    serverVersion: stringOf(variables.version) ?? server.text,
    galera,
  });
}

/**
 * A replica's staleness: the heartbeat's age when there is one (to the millisecond; a beat from a
 * clock slightly ahead reads as a small negative age: 0), else Seconds_Behind_Source in whole
 * seconds (NULL while the applier is stopped: unknown).
 */
function replicaLagMs(
  replication: ReplicationLink | undefined,
  heartbeatAgeUs: number | undefined,
): number | undefined {
  if (heartbeatAgeUs !== undefined) return Math.max(0, Math.round(heartbeatAgeUs / 1000));
  return replication?.lagSeconds !== undefined ? replication.lagSeconds * 1000 : undefined;
}

interface ParsedLink {
  readonly replicating: boolean;
  readonly link: ReplicationLink;
}

/** A replica status row, with MySQL 8.0.22+ (`Replica_*`, `Source_*`) or the older field names. */
function parseReplicaRow(row: Row): ParsedLink {
  const io = stringOf(field(row, 'Replica_IO_Running', 'Slave_IO_Running'));
  const sql = stringOf(field(row, 'Replica_SQL_Running', 'Slave_SQL_Running'));
  const linked = io === 'Yes' || io === 'Connecting';
  const lag = field(row, 'Seconds_Behind_Source', 'Seconds_Behind_Master');
  const port = field(row, 'Source_Port', 'Master_Port');
  return {
    replicating: linked || sql === 'Yes',
    link: withoutUndefined({
      receiving: io === 'Yes',
      // Only a live link names its source: a stopped one (a replica promoted with STOP SLAVE alone)
      // must not count as following its old primary.
      sourceHost: linked ? stringOf(field(row, 'Source_Host', 'Master_Host')) : undefined,
      // Numbers may arrive as strings: a pool made with mysql2's bigNumberStrings (TypeORM's default
      // for MySQL) gives its probe connection the same.
      sourcePort: linked ? numberOf(port) : undefined,
      lagSeconds: numberOf(lag),
    }),
  };
}

function replicationOf(links: readonly ParsedLink[]): ReplicationLink | undefined {
  return (links.find((l) => l.link.receiving) ?? links.find((l) => l.replicating) ?? links[0])?.link;
}

function mariadbGeneration(variables: Row): number | undefined {
  const serverId = numberOf(variables.server_id);
  const domain = numberOf(variables.gtid_domain_id);
  if (serverId === undefined || domain === undefined) return undefined;
  const history = [
    ...parseGtidList(stringOf(variables.gtid_binlog_state)),
    ...parseGtidList(stringOf(variables.gtid_slave_pos)),
  ];
  return takeoverSequence(history, serverId, domain);
}

function field(row: Row, name: string, oldName: string): unknown {
  return row[name] !== undefined ? row[name] : row[oldName];
}

/**
 * What a primary holds of the cluster's history (NodeProbe.lineage): on MariaDB the last GTID of
 * each server in its binary log and in its replication state (a promoted replica keeps the old
 * primary's there), on MySQL its executed GTID set.
 */
function lineageOf(variables: Row, mariadb: boolean): string | undefined {
  const parts = mariadb
    ? [stringOf(variables.gtid_binlog_state), stringOf(variables.gtid_slave_pos)]
    : [stringOf(variables.gtid_executed)];
  const lineage = parts
    .map((part) => part?.replace(/\s+/g, ''))
    .filter((part) => part !== undefined && part !== '')
    .join(',');
  return lineage === '' ? undefined : lineage;
}
