import {
  type ErrorContext,
  NodeUnavailableError,
  type NodeUnavailableReason,
  WriteOutcomeUnknownError,
} from './errors';
import type { NodeView } from './node';
import type { FailureKind } from './retry';

/**
 * The errors of a connection pinned to one node (a pg client from `connect()`, a mysql2 connection
 * from `getConnection()`). Nothing on it is re-run (the app may be inside a transaction), so every
 * failure that concerns the node becomes a FailoverPoolError that says what happened to the
 * statement; the application's own errors pass unchanged. `takeNew` names the driver's call for a
 * new connection, for the messages.
 */
export class PinnedErrors {
  constructor(
    private readonly node: NodeView,
    private readonly takeNew: string,
  ) {}

  /** The statement is refused before it is sent: the node is no longer the primary. */
  refusal(reason: NodeUnavailableReason): NodeUnavailableError {
    const what = {
      down: 'which is down',
      demoted: 'which is no longer the primary',
      superseded: 'which is superseded by a newer primary',
      'connection-lost': 'and lost its connection to it',
    }[reason];
    return new NodeUnavailableError(
      reason,
      `This connection is pinned to ${this.node.name}, ${what}. Release it and take a new one with ${this.takeNew}.`,
      this.context(undefined),
    );
  }

  /** What the caller gets for a failure of kind `kind` (from the dialect) of a statement on the node. */
  failure(error: unknown, kind: FailureKind, reRunnable: boolean): unknown {
    const name = this.node.name;
    switch (kind) {
      case 'application':
        return error;
      case 'timed-out':
        return reRunnable
          ? error
          : new WriteOutcomeUnknownError(
              `The statement on ${name} timed out after it was sent (the query timeout you set); it may still ` +
                'be applied.',
              this.context(error),
            );
      case 'connection-lost':
      case 'killed':
        return reRunnable
          ? new NodeUnavailableError(
              'connection-lost',
              `Lost the connection to ${name}.`,
              this.context(error),
            )
          : new WriteOutcomeUnknownError(
              `The connection to ${name} was lost after the statement was sent; it may or may not have been ` +
                'applied (inside a transaction: the transaction was not committed unless this was its COMMIT).',
              this.context(error),
            );
      case 'read-only':
        return new NodeUnavailableError(
          'demoted',
          `${name} is read-only now; nothing was applied.`,
          this.context(error),
        );
      default:
        return new NodeUnavailableError(
          'connection-lost',
          `Lost the connection to ${name}; the statement was not applied.`,
          this.context(error),
        );
    }
  }

  private context(cause: unknown): ErrorContext {
    return { host: this.node.host, port: this.node.port, role: this.node.role, attempt: 1, cause };
  }
}
