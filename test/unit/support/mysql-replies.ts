/**
 * Server replies for the MySQL dialect tests, as mysql2 returns them.
 *
 * MariaDB: recorded from MariaDB 10.11.19 (Debian 12) on this project's machines, through mysql2,
 * as an application account with SLAVE MONITOR only.
 *
 * MySQL 8.0 and 8.4: no MySQL server can run here (no package on these machines), so these are
 * written from the MySQL reference manual's field lists for SHOW REPLICA STATUS (8.0.22+), SHOW
 * SLAVE STATUS (up to 8.0.21) and the error texts of the MySQL error reference. They test the
 * field names and statement fallbacks, not a live server.
 */

export const MARIADB_VERSION = {
  version: '10.11.19-MariaDB-0+deb12u1-log',
  version_comment: 'Debian 12',
};

export const MARIADB_PRIMARY_VARIABLES = {
  read_only: 0,
  version: '10.11.19-MariaDB-0+deb12u1-log',
  server_id: 1,
  gtid_domain_id: 0,
  gtid_binlog_state: '0-1-4',
  gtid_slave_pos: '',
  gtid_current_pos: '0-1-4',
};

export const MARIADB_REPLICA_VARIABLES = {
  read_only: 1,
  version: '10.11.19-MariaDB-0+deb12u1-log',
  server_id: 2,
  gtid_domain_id: 0,
  gtid_binlog_state: '0-1-4',
  gtid_slave_pos: '0-1-4',
  gtid_current_pos: '0-1-4',
};

/** SHOW REPLICA STATUS on a MariaDB 10.11 replica (MariaDB keeps the Slave_/Master_ names). */
export const MARIADB_REPLICA_STATUS = {
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '127.0.0.1',
  Master_User: 'repl',
  Master_Port: 24001,
  Connect_Retry: 1,
  Master_Log_File: 'mariadb-bin.000001',
  Read_Master_Log_Pos: 1043,
  Relay_Log_File: 'mysqld-relay-bin.000002',
  Relay_Log_Pos: 1344,
  Relay_Master_Log_File: 'mariadb-bin.000001',
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Last_Errno: 0,
  Last_Error: '',
  Exec_Master_Log_Pos: 1043,
  Seconds_Behind_Master: 0,
  Last_IO_Errno: 0,
  Last_IO_Error: '',
  Master_Server_Id: 1,
  Using_Gtid: 'Slave_Pos',
  Gtid_IO_Pos: '0-1-4',
  SQL_Delay: 0,
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: 'Slave has read all relay log; waiting for more updates',
};

export const MYSQL80_VERSION = { version: '8.0.36', version_comment: 'MySQL Community Server - GPL' };
export const MYSQL8021_VERSION = { version: '8.0.21', version_comment: 'MySQL Community Server - GPL' };
export const MYSQL84_VERSION = { version: '8.4.0', version_comment: 'MySQL Community Server - GPL' };

const SOURCE_UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const REPLICA_UUID = '4f22ab58-82db-11e1-9e33-c80aa9429563';

export const MYSQL_PRIMARY_VARIABLES = {
  read_only: 0,
  super_read_only: 0,
  version: '8.0.36',
  server_id: 1,
  gtid_executed: `${SOURCE_UUID}:1-77`,
};

export const MYSQL_REPLICA_VARIABLES = {
  read_only: 1,
  super_read_only: 1,
  version: '8.0.36',
  server_id: 2,
  gtid_executed: `${SOURCE_UUID}:1-75,\n${REPLICA_UUID}:1-2`,
};

/** SHOW REPLICA STATUS, MySQL 8.0.22+ and 8.4 field names (the fields the dialect reads, and neighbours). */
export const MYSQL_REPLICA_STATUS = {
  Replica_IO_State: 'Waiting for source to send event',
  Source_Host: '10.0.0.1',
  Source_User: 'repl',
  Source_Port: 3306,
  Connect_Retry: 60,
  Source_Log_File: 'binlog.000003',
  Read_Source_Log_Pos: 157,
  Relay_Log_File: 'relay.000004',
  Replica_IO_Running: 'Yes',
  Replica_SQL_Running: 'Yes',
  Last_Errno: 0,
  Exec_Source_Log_Pos: 157,
  Seconds_Behind_Source: 3,
  Last_IO_Errno: 0,
  Source_Server_Id: 1,
  Source_UUID: SOURCE_UUID,
  Replica_SQL_Running_State: 'Replica has read all relay log; waiting for more updates',
  Retrieved_Gtid_Set: `${SOURCE_UUID}:1-77`,
  Executed_Gtid_Set: `${SOURCE_UUID}:1-75`,
  Auto_Position: 1,
  Channel_Name: '',
};

/** SHOW SLAVE STATUS up to MySQL 8.0.21: the old field names. */
export const MYSQL57_SLAVE_STATUS = {
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '10.0.0.1',
  Master_Port: 3306,
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Seconds_Behind_Master: 0,
  Retrieved_Gtid_Set: `${SOURCE_UUID}:1-77`,
  Executed_Gtid_Set: `${SOURCE_UUID}:1-77`,
  Auto_Position: 1,
};

/** A server error as mysql2 builds it: numeric errno, symbolic code, SQLSTATE. */
export function serverError(errno: number, code: string, message: string, sqlState = 'HY000'): Error {
  return Object.assign(new Error(message), { errno, code, sqlState, sqlMessage: message });
}

/** MySQL 8.4 no longer knows SHOW SLAVE STATUS; MySQL 8.0.21 does not know SHOW REPLICA STATUS yet. */
export const PARSE_ERROR = (near: string) =>
  serverError(
    1064,
    'ER_PARSE_ERROR',
    `You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '${near}' at line 1`,
    '42000',
  );

export const MARIADB_DENIED = serverError(
  1227,
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation',
  '42000',
);

export const MYSQL_DENIED = serverError(
  1227,
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'Access denied; you need (at least one of) the SUPER, REPLICATION CLIENT privilege(s) for this operation',
  '42000',
);

/** mysql2's client-side errors, as recorded here. */
export function clientError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, fatal: true, ...extra });
}
