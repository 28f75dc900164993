import type { Dialect, FailureContext } from './dialect';
import { NodeRetiredError, NotSentError, SessionNotWritableError } from './node-pool';
import { ProbeTimeoutError } from './probe-timeout';
import type { FailureKind } from './retry';

const CONNECT: FailureContext = { phase: 'connect', sent: false, notices: [], multiStatement: false };

/**
 * What a failure tells about the statement that got it: the library's own errors first (they say
 * exactly what happened), then the dialect's reading of the driver's error. `statement` is what
 * is known of the statement (the connection's ConnectionState), or undefined when getting a
 * connection failed.
 */
export function classifyFailure(dialect: Dialect, error: unknown, statement?: FailureContext): FailureKind {
  if (error instanceof SessionNotWritableError) return 'read-only';
  if (error instanceof NodeRetiredError || error instanceof ProbeTimeoutError) return 'connect-failed';
  if (error instanceof NotSentError) return statement ? 'not-sent' : 'connect-failed';
  return dialect.classifyError(error, statement ?? CONNECT);
}
