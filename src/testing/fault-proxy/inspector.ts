/**
 * The interface of a protocol inspector: it follows the client -> server byte stream of one
 * connection, finds the messages that carry SQL text, and tells the proxy where they are, so
 * that `cutOn` can act exactly before or after one statement.
 */

/** A statement found in the client -> server stream. */
export interface Statement {
  /** The SQL text, decoded as UTF-8. */
  text: string;
  /** The protocol message it came in: `Query`, `Parse`, `COM_QUERY`, `COM_STMT_PREPARE`. */
  message: string;
}

/**
 * A run of client -> server bytes. A segment with `statement` is exactly one whole protocol
 * message; the others are opaque bytes. Concatenated in order, the segments an inspector
 * returns are exactly the bytes it was fed (some may be returned by a later call: an
 * incomplete statement message is held back until it is whole).
 */
export interface Segment {
  bytes: Buffer;
  statement?: Statement;
}

export interface ProtocolInspector {
  /**
   * True once the inspector stopped parsing (TLS, compression, or bytes it cannot frame):
   * from then on every byte passes through as an opaque segment.
   */
  readonly passthrough: boolean;
  /** Feed bytes the client sent; returns the segments that can be forwarded now. */
  fromClient(chunk: Buffer): Segment[];
  /** Feed bytes the server sent (some protocols need the server's answer to an upgrade). */
  fromServer(chunk: Buffer): void;
}

/** For `protocol: 'raw'`: no parsing at all. */
export class RawInspector implements ProtocolInspector {
  readonly passthrough = true;
  fromClient(chunk: Buffer): Segment[] {
    return [{ bytes: chunk }];
  }
  fromServer(): void {}
}
