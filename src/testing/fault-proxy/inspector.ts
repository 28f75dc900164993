import { ByteQueue } from './byte-queue';

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

/**
 * What the PostgreSQL and MySQL inspectors share: client bytes held until a message can be framed,
 * opaque messages passed on as their bytes come, and a `passthrough` phase from which nothing is
 * parsed any more.
 */
export abstract class FramingInspector<Phase extends string> implements ProtocolInspector {
  protected readonly held = new ByteQueue();
  /** Bytes of the current opaque message still to pass through. */
  protected skip = 0;

  constructor(protected phase: Phase | 'passthrough') {}

  get passthrough(): boolean {
    return this.phase === 'passthrough';
  }

  abstract fromClient(chunk: Buffer): Segment[];
  abstract fromServer(chunk: Buffer): void;

  /** Passes on held bytes of the current opaque message; false when there were none to pass. */
  protected passSkipped(out: Segment[]): boolean {
    if (this.skip === 0 || this.held.length === 0) return false;
    const bytes = this.held.take(this.skip);
    this.skip -= bytes.length;
    out.push({ bytes });
    return true;
  }

  /** Passes on every held byte, unparsed. */
  protected passHeld(out: Segment[]): void {
    for (const bytes of this.held.takeAll()) out.push({ bytes });
  }
}

/** For `protocol: 'raw'`: no parsing at all. */
export class RawInspector implements ProtocolInspector {
  readonly passthrough = true;
  fromClient(chunk: Buffer): Segment[] {
    return [{ bytes: chunk }];
  }
  fromServer(): void {}
}
