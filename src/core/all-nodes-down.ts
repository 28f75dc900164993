/**
 * Every listed node failed its last probe. Waiting for a primary is for the time a failover takes,
 * while some node still answers; with none answering there is nothing to wait for, and a caller
 * gets the error of its own attempt to connect instead (as pg.Pool's and mysql2's callers do).
 * The router hands this to waiting callers; the engine turns it into that attempt.
 */
export class AllNodesDownError extends Error {
  constructor() {
    super('Every listed node failed its last probe');
    this.name = 'AllNodesDownError';
  }
}
