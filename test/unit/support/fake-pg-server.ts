import { FakeNode, type Reply, type Role, type Row, type Session } from './fake-node';
import {
  authenticationOk,
  backendKeyData,
  columnsOf,
  commandComplete,
  dataRow,
  errorResponse,
  int16,
  message,
  noData,
  type PgError,
  parameterStatus,
  Reader,
  readyForQuery,
  rowDescription,
} from './fake-pg-wire';

export type { PgError } from './fake-pg-wire';

/** Request codes that come instead of a StartupMessage. */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export interface FakePgOptions {
  /**
   * PostgreSQL 14+ reports `in_hot_standby` and `default_transaction_read_only` at login; an older
   * server does not, and the library has to ask.
   */
  readonly reportsHotStandby?: boolean;
}

/** A portal made by Bind: its statement's text, and whether its Describe still waits for an answer. */
interface Portal {
  readonly text: string;
  describe: boolean;
}

/**
 * A PostgreSQL node as node-postgres sees it: startup (an SSLRequest is answered 'N'), trust
 * authentication, the ParameterStatus values the library reads, the simple Query and the extended
 * protocol (Parse/Bind/Describe/Execute/Sync/Close/Flush). Each statement is recorded and answered
 * as FakeNode decides. Not supported: COPY, cursors that fetch in pages, binary results, cancel.
 */
export class FakePgServer extends FakeNode<PgError> {
  readonly serverVersion: string;

  constructor(
    role: Role,
    private readonly options: FakePgOptions = {},
  ) {
    super(role);
    this.serverVersion = options.reportsHotStandby === false ? '13.16' : '16.4';
  }

  protected serve(session: Session): void {
    let buffer = Buffer.alloc(0);
    let started = false;
    const parsed = new Map<string, string>();
    const portals = new Map<string, Portal>();
    /** An error in the extended protocol: everything up to the next Sync is skipped. */
    let failed = false;
    const write = (...messages: Buffer[]) => session.socket.write(Buffer.concat(messages));

    const execute = (text: string, portal?: Portal): boolean => {
      const reply = this.receive(session, text);
      if (reply === 'drop') {
        session.socket.destroy();
        return false;
      }
      const describe = portal?.describe === true;
      if (portal) portal.describe = false;
      if ('error' in reply) {
        failed = portal !== undefined;
        write(...(describe ? [noData()] : []), errorResponse(reply.error));
      } else if ('tag' in reply) {
        write(...(describe ? [noData()] : []), commandComplete(reply.tag));
      } else {
        write(...this.rows(reply.rows, reply.columns, describe || !portal));
      }
      return true;
    };

    const handle = (type: string, body: Buffer): boolean => {
      const reader = new Reader(body);
      if (type === 'X') {
        session.socket.end();
        return false;
      }
      if (type === 'S') {
        failed = false;
        write(readyForQuery());
        return true;
      }
      if (failed) return true;
      switch (type) {
        case 'Q':
          if (!execute(reader.cstring())) return false;
          write(readyForQuery());
          return true;
        case 'P': {
          const name = reader.cstring();
          parsed.set(name, reader.cstring());
          write(message('1'));
          return true;
        }
        case 'B': {
          const portal = reader.cstring();
          portals.set(portal, { text: parsed.get(reader.cstring()) ?? '', describe: false });
          write(message('2'));
          return true;
        }
        case 'D': {
          const kind = reader.byte();
          const portal = portals.get(reader.cstring());
          // A portal's description waits for its Execute, which decides what the result looks like.
          if (kind === 'P' && portal) portal.describe = true;
          else write(message('t', int16(0)), noData());
          return true;
        }
        case 'E': {
          const portal = portals.get(reader.cstring());
          return execute(portal?.text ?? '', portal ?? { text: '', describe: false });
        }
        case 'C':
          write(message('3'));
          return true;
        default:
          // Flush, and anything this fake does not speak: no answer.
          return true;
      }
    };

    const startup = (body: Buffer): void => {
      const code = body.readInt32BE(0);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        session.socket.write('N');
        return;
      }
      if (code === CANCEL_REQUEST) {
        session.socket.destroy();
        return;
      }
      started = true;
      const params = new Map<string, string>();
      const reader = new Reader(body.subarray(4));
      for (let key = reader.cstring(); key !== ''; key = reader.cstring()) params.set(key, reader.cstring());
      write(authenticationOk(), ...this.loginParameters(params), backendKeyData(session.id), readyForQuery());
    };

    session.socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (session.socket.destroyed) return;
        const headerLength = started ? 5 : 4;
        if (buffer.length < headerLength) return;
        const length = buffer.readInt32BE(started ? 1 : 0);
        const total = (started ? 1 : 0) + length;
        if (buffer.length < total) return;
        const type = started ? String.fromCharCode(buffer[0] as number) : '';
        const body = buffer.subarray(headerLength, total);
        buffer = buffer.subarray(total);
        if (!started) startup(body);
        else if (!handle(type, body)) return;
      }
    });
  }

  protected isProbe(text: string): boolean {
    return /\bAS\s+in_recovery\b/i.test(text);
  }

  /**
   * The library's questions about the node (its probes, and the role query for servers that do not
   * report `in_hot_standby`) all call pg_is_in_recovery() and name their columns: the answer has
   * exactly the columns asked for, as this node would fill them.
   */
  protected systemReply(text: string, role: Role): Reply<PgError> | undefined {
    if (!text.includes('pg_is_in_recovery()')) return undefined;
    const aliases = [...text.matchAll(/\bAS\s+(\w+)/gi)].map((m) => m[1] as string);
    const known = this.knownColumns(role);
    const row = Object.fromEntries(aliases.map((alias) => [alias, known[alias] ?? null]));
    return { rows: [row] };
  }

  protected readOnlyError(text: string): PgError {
    const verb = text.trim().split(/\s+/)[0]?.toUpperCase();
    return { code: '25006', message: `cannot execute ${verb} in a read-only transaction` };
  }

  protected writeTag(verb: string): string {
    if (verb === 'INSERT') return 'INSERT 0 1';
    return ['UPDATE', 'DELETE'].includes(verb) ? `${verb} 1` : verb;
  }

  private knownColumns(role: Role): Row {
    const recovering = role === 'replica';
    const lsn = '0/3000060';
    return {
      in_recovery: recovering,
      read_only: role === 'primary' ? 'off' : 'on',
      writable: role === 'primary',
      wal_file: recovering
        ? null
        : `${this.generation.toString(16).toUpperCase().padStart(8, '0')}${'0'.repeat(15)}3`,
      current_lsn: recovering ? null : lsn,
      receive_lsn: recovering ? lsn : null,
      replay_lsn: recovering ? lsn : null,
      server_version: this.serverVersion,
      receivers: recovering ? 1 : 0,
      receiver_status: recovering ? 'streaming' : null,
      system_identifier: '7300000000000000001',
    };
  }

  private loginParameters(startup: Map<string, string>): Buffer[] {
    const params: [string, string][] = [
      ['server_version', this.serverVersion],
      ['server_encoding', 'UTF8'],
      ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'],
      ['integer_datetimes', 'on'],
      ['standard_conforming_strings', 'on'],
      ['TimeZone', 'UTC'],
      ['application_name', startup.get('application_name') ?? ''],
    ];
    if (this.options.reportsHotStandby !== false) {
      params.push(['in_hot_standby', this.role === 'replica' ? 'on' : 'off']);
      params.push(['default_transaction_read_only', this.role === 'read-only' ? 'on' : 'off']);
    }
    return params.map(([name, value]) => parameterStatus(name, value));
  }

  /** A result: its description (unless a Describe already answered), the rows, and the tag. */
  private rows(rows: readonly Row[], columns: readonly string[] | undefined, describe: boolean): Buffer[] {
    const names = columnsOf(rows, columns);
    return [
      ...(describe ? [rowDescription(rows, names)] : []),
      ...rows.map((row) => dataRow(row, names)),
      commandComplete(`SELECT ${rows.length}`),
    ];
  }
}
