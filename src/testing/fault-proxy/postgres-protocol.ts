/**
 * PostgreSQL frontend/backend protocol (v3), client -> server direction, framed just enough
 * to find the SQL text of simple Query ('Q') and extended-protocol Parse ('P') messages.
 *
 * - The first packet(s) have no type byte: Int32 length (including itself), Int32 code.
 *   SSLRequest (80877103) and GSSENCRequest (80877104) are answered by the server with one
 *   byte: 'S' / 'G' (encryption follows: we stop parsing) or 'N' (another startup packet
 *   follows). CancelRequest (80877102) is the only packet of its connection. Anything else
 *   is the StartupMessage (protocol 3.x), after which messages are typed.
 * - PostgreSQL 17 "direct" SSL starts with a TLS ClientHello (first byte 0x16): passthrough.
 * - Typed messages: Byte1 type, Int32 length (including itself, not the type byte), payload.
 *   Query: String query. Parse: String statement name, String query, Int16 + Int32[] types.
 */
import { FramingInspector, type Segment, type Statement } from './inspector';

export const PG_SSL_REQUEST_CODE = 80877103;
export const PG_GSSENC_REQUEST_CODE = 80877104;
export const PG_CANCEL_REQUEST_CODE = 80877102;

const TLS_HANDSHAKE_RECORD = 0x16;
const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
/** Startup packets are small; a larger "length" means the bytes are not what we think. */
const MAX_STARTUP_LENGTH = 10_000;

type Phase = 'startup' | 'awaitingEncryptionAnswer' | 'messages';

export class PostgresInspector extends FramingInspector<Phase> {
  constructor() {
    super('startup');
  }

  fromServer(chunk: Buffer): void {
    if (this.phase !== 'awaitingEncryptionAnswer' || chunk.length === 0) return;
    const answer = chunk[0];
    // 'S' (SSL) or 'G' (GSS encryption): encrypted bytes follow, unparseable. 'N' or an
    // ErrorResponse from a very old server: the client sends a plain startup packet next.
    this.phase = answer === 0x53 || answer === 0x47 ? 'passthrough' : 'startup';
  }

  fromClient(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    this.held.push(chunk);
    for (;;) {
      if (this.held.length === 0) break;
      if (this.phase === 'passthrough') {
        this.passHeld(out);
        break;
      }
      if (this.passSkipped(out)) continue;
      if (this.phase === 'startup' || this.phase === 'awaitingEncryptionAnswer') {
        if (!this.startupPacket()) break;
        continue;
      }
      const header = this.held.peek(5);
      if (!header) break;
      const type = header[0]!;
      const length = header.readInt32BE(1);
      if (length < 4) {
        this.phase = 'passthrough';
        continue;
      }
      const total = 1 + length;
      if (type !== QUERY && type !== PARSE) {
        this.skip = total;
        continue;
      }
      if (this.held.length < total) break; // hold the statement until it is whole
      const bytes = this.held.take(total);
      out.push({ bytes, statement: parseStatement(type, bytes) });
    }
    return out;
  }

  /** Frames one untyped startup packet; false if more bytes are needed. */
  private startupPacket(): boolean {
    const first = this.held.peek(1)!;
    if (first[0] === TLS_HANDSHAKE_RECORD) {
      this.phase = 'passthrough';
      return true;
    }
    const header = this.held.peek(8);
    if (!header) return false;
    const length = header.readInt32BE(0);
    const code = header.readInt32BE(4);
    if (length < 8 || length > MAX_STARTUP_LENGTH) {
      this.phase = 'passthrough';
      return true;
    }
    if (code === PG_SSL_REQUEST_CODE || code === PG_GSSENC_REQUEST_CODE) {
      this.phase = 'awaitingEncryptionAnswer';
    } else if (code === PG_CANCEL_REQUEST_CODE) {
      this.phase = 'passthrough'; // nothing follows a CancelRequest
    } else {
      this.phase = 'messages';
    }
    this.skip = length;
    return true;
  }
}

function parseStatement(type: number, message: Buffer): Statement {
  const payload = message.subarray(5);
  if (type === QUERY) return { message: 'Query', text: cString(payload, 0).text };
  const name = cString(payload, 0);
  return { message: 'Parse', text: cString(payload, name.next).text };
}

function cString(buf: Buffer, start: number): { text: string; next: number } {
  let end = buf.indexOf(0, start);
  if (end < 0) end = buf.length;
  return { text: buf.toString('utf8', start, end), next: end + 1 };
}
