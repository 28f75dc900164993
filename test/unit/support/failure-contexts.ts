import type { FailureContext } from '../../../src/core/dialect';

/** What the driver layer tells a dialect about a failed statement: sent, by default. */
export const statement = (over: Partial<FailureContext> = {}): FailureContext => ({
  phase: 'statement',
  sent: true,
  notices: [],
  multiStatement: false,
  ...over,
});

/** ... and about a connect that failed. */
export const connect: FailureContext = { phase: 'connect', sent: false, notices: [], multiStatement: false };
