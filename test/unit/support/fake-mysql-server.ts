import { err, handshake, type MysqlError, ok, packets, prepareOk, resultSet } from './fake-mysql-wire';
import { FakeNode, type Reply, type Role, type Row, type Session } from './fake-node';

export type { MysqlError } from './fake-mysql-wire';

/** The command bytes this fake answers. */
const COM = {
  QUIT: 0x01,
  INIT_DB: 0x02,
  QUERY: 0x03,
  PING: 0x0e,
  STMT_PREPARE: 0x16,
  STMT_EXECUTE: 0x17,
  STMT_CLOSE: 0x19,
  STMT_RESET: 0x1a,
  RESET_CONNECTION: 0x1f,
};
/** Commands that only need an OK: nothing of what they change is kept. */
const ANSWERED_WITH_OK = new Set([COM.INIT_DB, COM.PING, COM.STMT_RESET, COM.RESET_CONNECTION]);

const REPLICA_STATUS = /^\s*SHOW\s+(REPLICA|SLAVE)\s+STATUS/i;

/**
 * A MySQL 8.0 node as mysql2 sees it: the v10 handshake with mysql_native_password (any password is
 * accepted), COM_QUERY with text result sets, COM_STMT_PREPARE / COM_STMT_EXECUTE with binary ones,
 * COM_PING, COM_QUIT. Each statement (a query, or an execute of a prepared one) is recorded and
 * answered as FakeNode decides. Not supported: TLS, compression, LOCAL INFILE, several result sets.
 */
export class FakeMysqlServer extends FakeNode<MysqlError> {
  readonly version = '8.0.36';

  protected serve(session: Session): void {
    let buffer = Buffer.alloc(0);
    let authenticated = false;
    const prepared = new Map<number, string>();
    let nextStatement = 1;
    const send = (payloads: readonly Buffer[]) => session.socket.write(packets(1, payloads));

    const statement = (text: string, binary: boolean): void => {
      const reply = this.receive(session, text);
      if (reply === 'drop') session.socket.destroy();
      else if ('error' in reply) send([err(reply.error)]);
      else if ('tag' in reply) send([ok(/^(INSERT|UPDATE|DELETE|REPLACE)/.test(reply.tag) ? 1 : 0)]);
      else send(resultSet(reply.rows, reply.columns ?? Object.keys(reply.rows[0] ?? {}), binary));
    };

    const command = (payload: Buffer): void => {
      const code = payload[0];
      const text = payload.toString('utf8', 1);
      if (code === COM.QUIT) {
        session.socket.end();
      } else if (code === COM.QUERY) {
        statement(text, false);
      } else if (code === COM.STMT_PREPARE) {
        const id = nextStatement++;
        prepared.set(id, text);
        send(prepareOk(id, placeholders(text)));
      } else if (code === COM.STMT_EXECUTE) {
        statement(prepared.get(payload.readUInt32LE(1)) ?? '', true);
      } else if (code === COM.STMT_CLOSE) {
        // No answer, as on a real server.
      } else if (ANSWERED_WITH_OK.has(code as number)) {
        send([ok()]);
      } else {
        send([err({ errno: 1047, sqlState: '08S01', message: 'Unknown command' })]);
      }
    };

    session.socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4 && !session.socket.destroyed) {
        const length = buffer.readUIntLE(0, 3);
        if (buffer.length < 4 + length) return;
        const sequence = buffer[3] as number;
        const payload = buffer.subarray(4, 4 + length);
        buffer = buffer.subarray(4 + length);
        if (authenticated) {
          command(payload);
        } else {
          // The handshake response, whatever credentials it carries: accepted.
          authenticated = true;
          session.socket.write(packets(sequence + 1, [ok()]));
        }
      }
    });
    session.socket.write(packets(0, [handshake(this.version, session.id)]));
  }

  protected isProbe(text: string): boolean {
    return /@@version\b/i.test(text) || REPLICA_STATUS.test(text);
  }

  /** System variables (`SELECT @@x AS y, ...`) and the replica status, as this node would report them. */
  protected systemReply(text: string, role: Role): Reply<MysqlError> | undefined {
    const status = REPLICA_STATUS.exec(text);
    if (status) return this.replicaStatus(role, (status[1] as string).toUpperCase() === 'REPLICA');
    if (!/^\s*SELECT\s+@@/i.test(text)) return undefined;
    const variables = this.variables(role);
    const row: Record<string, string | number | null> = {};
    for (const m of text.matchAll(/@@(?:global\.|session\.)?(\w+)(?:\s+AS\s+(\w+))?/gi)) {
      row[m[2] ?? m[0]] = variables[m[1] as string] ?? null;
    }
    return { rows: [row] };
  }

  protected readOnlyError(): MysqlError {
    return {
      errno: 1290,
      sqlState: 'HY000',
      message: 'The MySQL server is running with the --read-only option so it cannot execute this statement',
    };
  }

  protected writeTag(verb: string): string {
    return verb;
  }

  private variables(role: Role): Record<string, string | number> {
    const readOnly = role === 'primary' ? 0 : 1;
    return {
      read_only: readOnly,
      super_read_only: readOnly,
      version: this.version,
      version_comment: 'MySQL Community Server - GPL',
      server_id: this.port,
      gtid_executed: '',
    };
  }

  /** A replica replicates (both threads running); other roles have no replica status rows. */
  private replicaStatus(role: Role, newNames: boolean): Reply<MysqlError> {
    const [io, sql, host, port] = newNames
      ? ['Replica_IO_Running', 'Replica_SQL_Running', 'Source_Host', 'Source_Port']
      : ['Slave_IO_Running', 'Slave_SQL_Running', 'Master_Host', 'Master_Port'];
    const columns = [io, sql, host, port];
    const rows: Row[] =
      role === 'replica' ? [{ [io]: 'Yes', [sql]: 'Yes', [host]: '127.0.0.1', [port]: 1 }] : [];
    return { rows, columns };
  }
}

/** The `?` placeholders of a statement (outside quotes, which the tests' statements do not use). */
function placeholders(text: string): number {
  return (text.match(/\?/g) ?? []).length;
}
