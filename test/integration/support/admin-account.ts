/**
 * The least-privileged account of the node operations and of promotion by the library, as
 * docs/postgres.md and docs/mysql.md give it ("An account for node operations"): the statements
 * that create it on a primary (they replicate to every node).
 */
export function pgAdminAccountSql(user: string, password: string): string[] {
  // GRANT ALTER SYSTEM ON PARAMETER needs PostgreSQL 15.
  return [
    `CREATE ROLE ${user} LOGIN PASSWORD '${password}'`,
    `GRANT pg_monitor TO ${user}`,
    ...pgAdminFunctionGrants(user),
    `GRANT ALTER SYSTEM ON PARAMETER primary_conninfo TO ${user}`,
    `GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO ${user}`,
  ];
}

/** The grants that belong to one database (functions do): run them where the sessions log in. */
export function pgAdminFunctionGrants(user: string): string[] {
  return [
    `GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO ${user}`,
    `GRANT EXECUTE ON FUNCTION pg_reload_conf() TO ${user}`,
  ];
}

export function mariadbAdminAccountSql(user: string, password: string): string[] {
  const account = `'${user}'@'127.0.0.1'`;
  return [
    `CREATE USER ${account} IDENTIFIED BY '${password}'`,
    `GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, RELOAD, SLAVE MONITOR, BINLOG MONITOR ON *.* TO ${account}`,
  ];
}
