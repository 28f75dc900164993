import type { NodeAddress } from './node';

/** A node answered the monitor's probe with something the dialect cannot read. */
export class ProbeAnswerError extends Error {
  constructor(node: NodeAddress, cause: unknown) {
    super(
      `${node.name} answered the monitor's probe with something it cannot read (${(cause as Error).message}): ` +
        'is it a server of the kind this pool is for?',
      { cause },
    );
    this.name = 'ProbeAnswerError';
  }
}

/**
 * What a dialect throws when the probe's answer lacks a value that decides the role: reading it as
 * a default ("not in recovery", "not read-only") would take an unknown server for a writable primary.
 * The Prober turns it into ProbeAnswerError, naming the node.
 */
export function unreadableAnswer(column: string, expected: string, value: unknown): TypeError {
  const got =
    value === undefined ? 'nothing' : JSON.stringify(typeof value === 'bigint' ? `${value}` : value);
  return new TypeError(`the probe's answer has no ${column} (${expected}); it has ${got}`);
}
