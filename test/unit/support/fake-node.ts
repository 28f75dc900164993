import net, { type Socket } from 'node:net';

/**
 * The protocol-independent half of a fake database node: a TCP listener on 127.0.0.1, a role, the
 * statements it received (the oracle of the driver tests: a lost write was received exactly once),
 * and the faults a test can script. fake-pg-server.ts and fake-mysql-server.ts speak the wire
 * protocols on top of it.
 */

/** `read-only`: not a replica, but writes are refused (PostgreSQL default_transaction_read_only, MySQL read_only). */
export type Role = 'primary' | 'replica' | 'read-only';

/**
 * What happens to a new connection: `accept` it; `refuse` it (nothing listens: ECONNREFUSED);
 * `reset` it (accepted, then closed before the greeting); `hang` (accepted, never answered).
 */
export type ConnectMode = 'accept' | 'refuse' | 'reset' | 'hang';

export type Value = string | number | boolean | null;
export type Row = Readonly<Record<string, Value>>;

/**
 * The answer to one statement: rows (with `columns` for an empty result), a command tag / OK packet,
 * an error, or `drop`: the connection is closed right after the statement arrived (sent, then lost).
 */
export type Reply<E> =
  | { readonly rows: readonly Row[]; readonly columns?: readonly string[] }
  | { readonly tag: string }
  | { readonly error: E }
  | 'drop';

/** One client connection, as the server saw it. */
export interface Session {
  readonly id: number;
  readonly socket: Socket;
  /** The monitor's connection (it asked a probe statement); the others are the app's. */
  monitor: boolean;
  readonly statements: string[];
}

interface Script<E> {
  readonly matches: (text: string) => boolean;
  readonly reply: Reply<E>;
  remaining: number;
}

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b/i;
const TRANSACTION_CONTROL = /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|SET|SAVEPOINT|RELEASE)\b/i;

export abstract class FakeNode<E> {
  /** What the node is; sessions and probes see it. */
  role: Role;
  /** Promotions bump it (PostgreSQL's timeline). */
  generation = 1;
  readonly sessions: Session[] = [];
  /** Connections accepted and then left unanswered (`hang`) that are still open. */
  readonly hung = new Set<Socket>();
  port = 0;
  private connectMode: ConnectMode = 'accept';
  private heldRole: Role | undefined;
  private readonly scripts: Script<E>[] = [];
  private readonly servers: net.Server[] = [];
  private readonly closed: Promise<void>[] = [];
  private nextSession = 1;

  constructor(role: Role) {
    this.role = role;
  }

  /** `127.0.0.1:port`, as the pools name it. */
  get name(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  promote(): void {
    this.role = 'primary';
    this.generation += 1;
  }

  /**
   * From now on the monitor's probes get the answers of the role the node has now, whatever it
   * becomes: the monitor has not noticed a change yet. Sessions always see the real role.
   */
  holdProbes(): void {
    this.heldRole = this.role;
  }

  releaseProbes(): void {
    this.heldRole = undefined;
  }

  async setConnectMode(mode: ConnectMode): Promise<void> {
    const wasRefusing = this.connectMode === 'refuse';
    this.connectMode = mode;
    if (mode === 'refuse' && !wasRefusing) this.servers.at(-1)?.close();
    if (mode !== 'refuse' && wasRefusing) await this.listen();
  }

  /** The next `times` statements matching `match` (the whole text, or a pattern) get `reply`. */
  script(match: string | RegExp, reply: Reply<E>, times = Number.POSITIVE_INFINITY): void {
    const matches = typeof match === 'string' ? (t: string) => t === match : (t: string) => match.test(t);
    this.scripts.push({ matches, reply, remaining: times });
  }

  /** How many statements matching `match` the node received, on any connection. */
  received(match: string | RegExp): number {
    const matches = typeof match === 'string' ? (t: string) => t === match : (t: string) => match.test(t);
    return this.sessions.reduce((sum, s) => sum + s.statements.filter(matches).length, 0);
  }

  appSessions(): Session[] {
    return this.sessions.filter((s) => !s.monitor);
  }

  /**
   * Closes every app connection that is still open, and resolves once each client has seen the
   * close (its own end arrived back): the client libraries know the connection is dead by then.
   */
  async closeAppSessions(): Promise<void> {
    const open = this.appSessions().filter((s) => !s.socket.destroyed);
    await Promise.all(
      open.map((s) => {
        const gone = new Promise((resolve) => s.socket.once('close', resolve));
        s.socket.end();
        return gone;
      }),
    );
  }

  async close(): Promise<void> {
    this.connectMode = 'refuse';
    for (const server of this.servers) if (server.listening) server.close();
    for (const session of this.sessions) session.socket.destroy();
    for (const socket of this.hung) socket.destroy();
    await Promise.all(this.closed);
  }

  /** Speaks the protocol on an accepted connection. */
  protected abstract serve(session: Session): void;
  /** The monitor's probe statements, which get the held role while probes are held. */
  protected abstract isProbe(text: string): boolean;
  /** Answers to the statements the library asks about the node itself (role, version...). */
  protected abstract systemReply(text: string, role: Role): Reply<E> | undefined;
  protected abstract readOnlyError(text: string): E;
  protected abstract writeTag(verb: string): string;

  /** Records a statement and decides its reply: a script first, else what such a node would say. */
  protected receive(session: Session, text: string): Reply<E> {
    session.statements.push(text);
    const probe = this.isProbe(text);
    if (probe) session.monitor = true;
    const script = this.scripts.find((s) => s.remaining > 0 && s.matches(text));
    if (script) {
      script.remaining -= 1;
      return script.reply;
    }
    const role = probe ? (this.heldRole ?? this.role) : this.role;
    const system = this.systemReply(text, role);
    if (system) return system;
    const write = WRITE.exec(text);
    if (write) {
      const verb = (write[1] as string).toUpperCase();
      return role === 'primary' ? { tag: this.writeTag(verb) } : { error: this.readOnlyError(text) };
    }
    const control = TRANSACTION_CONTROL.exec(text);
    if (control) return { tag: (control[1] as string).toUpperCase() };
    return { rows: [{ one: 1 }] };
  }

  private async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    server.on('error', () => undefined);
    this.closed.push(new Promise((resolve) => server.once('close', resolve)));
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    if (this.connectMode === 'reset') {
      socket.destroy();
    } else if (this.connectMode === 'hang') {
      this.hung.add(socket);
      // Read (and ignore) what the client sends, so that its close is noticed.
      socket.resume();
      socket.once('close', () => this.hung.delete(socket));
    } else {
      const session: Session = { id: this.nextSession++, socket, monitor: false, statements: [] };
      this.sessions.push(session);
      this.serve(session);
    }
  }
}
