/**
 * MySQL / MariaDB client/server protocol, client -> server direction, framed just enough to
 * find the SQL text of COM_QUERY (0x03) and COM_STMT_PREPARE (0x16).
 *
 * - Every packet: 3-byte little-endian payload length, 1-byte sequence id, payload. A payload
 *   of exactly 0xffffff bytes is continued by the next packet (whatever its sequence id).
 * - The server speaks first (greeting, sequence 0); the client's first packet is the
 *   HandshakeResponse41 or, for TLS, the 32-byte SSLRequest (sequence 1), starting with its
 *   4-byte capability flags. With CLIENT_SSL the rest is TLS; with CLIENT_COMPRESS or zstd
 *   compression the command phase is compressed: we stop parsing in both cases.
 * - The authentication exchange continues with client packets of sequence > 0. A command
 *   resets the sequence: a client packet with sequence 0 after the first packet is a command,
 *   its first payload byte the command code.
 * - With CLIENT_QUERY_ATTRIBUTES (MySQL 8.0.23+), COM_QUERY carries a parameter count and a
 *   parameter set count (length-encoded integers) before the text. With attributes present
 *   (count > 0) their binary values are not decoded: the text is matched against the rest of
 *   the payload as a whole, so an anchored pattern may not match.
 */
import { FramingInspector, type Segment, type Statement } from './inspector';

/** The commands that carry a statement's text. */
export const COM = { QUERY: 0x03, STMT_PREPARE: 0x16 } as const;

/** Capability flags of the handshake response, as the protocol documentation names them (CLIENT_*). */
export const CLIENT = {
  COMPRESS: 0x20,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  ZSTD_COMPRESSION_ALGORITHM: 1 << 26,
  QUERY_ATTRIBUTES: 1 << 27,
} as const;

const MAX_PAYLOAD = 0xffffff;

type Phase = 'handshake' | 'authentication' | 'commands';

export class MysqlInspector extends FramingInspector<Phase> {
  /** The previous packet had a 0xffffff payload: the next one continues it. */
  private continuation = false;
  private queryAttributes = false;
  /** Set after the handshake response when the rest of the stream is TLS or compressed. */
  private passthroughNext = false;

  constructor() {
    super('handshake');
  }

  fromServer(): void {}

  fromClient(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    this.held.push(chunk);
    for (;;) {
      if (this.passSkipped(out)) continue;
      if (this.skip === 0 && this.passthroughNext) this.phase = 'passthrough';
      if (this.held.length === 0) break;
      if (this.phase === 'passthrough') {
        this.passHeld(out);
        break;
      }
      const header = this.held.peek(4);
      if (!header) break;
      const length = header.readUIntLE(0, 3);
      const sequence = header[3]!;
      const total = 4 + length;
      const continued = this.continuation;
      this.continuation = length === MAX_PAYLOAD;

      if (this.phase === 'handshake') {
        const start = this.held.peek(Math.min(total, 8));
        if (!start) {
          this.continuation = continued; // re-framed when more bytes arrive
          break;
        }
        this.handshakeResponse(start, length);
        this.skip = total;
        continue;
      }
      if (continued || sequence !== 0) {
        this.skip = total;
        continue;
      }
      this.phase = 'commands';
      // Command packets are held until whole (they are small but for long queries / data).
      if (this.held.length < total) {
        this.continuation = continued;
        break;
      }
      const bytes = this.held.take(total);
      const statement = this.parseCommand(bytes.subarray(4));
      out.push(statement ? { bytes, statement } : { bytes });
    }
    return out;
  }

  private handshakeResponse(start: Buffer, length: number): void {
    this.phase = 'authentication';
    if (length < 4) {
      this.passthroughNext = true;
      return;
    }
    const capabilities = start.readUInt32LE(4);
    if ((capabilities & CLIENT.PROTOCOL_41) === 0) {
      this.passthroughNext = true; // pre-4.1 handshake: not framed here
      return;
    }
    if (capabilities & (CLIENT.SSL | CLIENT.COMPRESS | CLIENT.ZSTD_COMPRESSION_ALGORITHM)) {
      this.passthroughNext = true;
    }
    this.queryAttributes = (capabilities & CLIENT.QUERY_ATTRIBUTES) !== 0;
  }

  private parseCommand(payload: Buffer): Statement | undefined {
    const command = payload[0];
    if (command === COM.STMT_PREPARE) {
      return { message: 'COM_STMT_PREPARE', text: payload.toString('utf8', 1) };
    }
    if (command !== COM.QUERY) return undefined;
    let offset = 1;
    if (this.queryAttributes) {
      const count = readLengthEncoded(payload, offset);
      const sets = count && readLengthEncoded(payload, count.next);
      if (count && sets && count.value === 0) offset = sets.next;
    }
    return { message: 'COM_QUERY', text: payload.toString('utf8', offset) };
  }
}

function readLengthEncoded(buf: Buffer, at: number): { value: number; next: number } | undefined {
  const first = buf[at];
  if (first === undefined) return undefined;
  if (first < 0xfb) return { value: first, next: at + 1 };
  if (first === 0xfc && at + 3 <= buf.length) return { value: buf.readUInt16LE(at + 1), next: at + 3 };
  if (first === 0xfd && at + 4 <= buf.length) return { value: buf.readUIntLE(at + 1, 3), next: at + 4 };
  if (first === 0xfe && at + 9 <= buf.length) {
    return { value: Number(buf.readBigUInt64LE(at + 1)), next: at + 9 };
  }
  return undefined;
}
