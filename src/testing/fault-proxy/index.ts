/**
 * `faultProxy` in `failover-pool/testing`: the fault proxy's types beyond createFaultProxy,
 * FaultProxy and FaultProxyOptions (exported at the top): its fault handles, the options of each
 * fault, and what `stats()` and `connections()` report.
 */
export type * from './types';
