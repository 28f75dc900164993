/**
 * The key of FailoverMysqlPool's method that runs a parsed call without a Query object around it
 * (pool.ts): the promise pools use it (promise-pool.ts); a symbol keeps it out of the public API.
 */
export const sendCall = Symbol('failover-pool sendCall');
