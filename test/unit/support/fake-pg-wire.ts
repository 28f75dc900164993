import type { Row, Value } from './fake-node';

/**
 * The PostgreSQL v3 protocol's backend messages (what a server writes), and a reader for the
 * frontend ones, as much of them as node-postgres uses. Text format only.
 */

/** An ErrorResponse's fields: the SQLSTATE and the message. */
export interface PgError {
  readonly code: string;
  readonly message: string;
}

/** Type OIDs node-postgres parses: bool, int4, text. */
const BOOL = 16;
const INT4 = 23;
const TEXT = 25;

export function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

export function cstring(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

export function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

export function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

export const authenticationOk = (): Buffer => message('R', int32(0));
export const parameterStatus = (name: string, value: string): Buffer =>
  message('S', cstring(name), cstring(value));
export const backendKeyData = (pid: number): Buffer => message('K', int32(pid), int32(12345));
export const readyForQuery = (): Buffer => message('Z', Buffer.from('I'));
export const commandComplete = (tag: string): Buffer => message('C', cstring(tag));
export const noData = (): Buffer => message('n');

export function errorResponse(error: PgError): Buffer {
  const fields = [
    ['S', 'ERROR'],
    ['V', 'ERROR'],
    ['C', error.code],
    ['M', error.message],
  ].map(([key, value]) => cstring(`${key}${value}`));
  return message('E', ...fields, Buffer.from([0]));
}

/** The columns of a result: named by `columns`, else by the first row's keys. */
export function columnsOf(rows: readonly Row[], columns?: readonly string[]): string[] {
  return [...(columns ?? Object.keys(rows[0] ?? {}))];
}

export function rowDescription(rows: readonly Row[], columns: readonly string[]): Buffer {
  const fields = columns.map((name) => {
    const sample = rows.map((row) => row[name]).find((v) => v !== null && v !== undefined);
    const oid = typeof sample === 'boolean' ? BOOL : typeof sample === 'number' ? INT4 : TEXT;
    return Buffer.concat([cstring(name), int32(0), int16(0), int32(oid), int16(-1), int32(-1), int16(0)]);
  });
  return message('T', int16(columns.length), ...fields);
}

export function dataRow(row: Row, columns: readonly string[]): Buffer {
  const values = columns.map((name) => {
    const text = textOf(row[name] ?? null);
    if (text === null) return int32(-1);
    const bytes = Buffer.from(text, 'utf8');
    return Buffer.concat([int32(bytes.length), bytes]);
  });
  return message('D', int16(columns.length), ...values);
}

function textOf(value: Value): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

/** Reads the fields of one frontend message body. */
export class Reader {
  private offset = 0;

  constructor(private readonly body: Buffer) {}

  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    const text = this.body.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }

  byte(): string {
    return String.fromCharCode(this.body[this.offset++] as number);
  }
}
