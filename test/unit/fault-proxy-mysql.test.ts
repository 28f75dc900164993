/**
 * The fault proxy in front of a real MariaDB (the machine's own, 127.0.0.1:3306, root with
 * an empty password over TCP). mysql2 is not a dependency of this package, so the client is
 * the `mariadb` (or `mysql`) command-line client: it sends each statement of `-e` as its own
 * COM_QUERY. Skipped when there is no server or no client binary.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy } from '../../src/testing';
import { eventually, tcpHandles } from './fault-proxy-helpers';

const MY = { host: '127.0.0.1', port: 3306, user: 'root' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(binary: string, port: number, sql: string): Promise<Run> {
  const args = ['-h', MY.host, '-P', String(port), `-u${MY.user}`, '--skip-ssl', '-N', '-B', '-e', sql];
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error ? Number((error as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
      resolve({ code: Number.isNaN(code) ? 1 : code, stdout, stderr });
    });
  });
}

async function findClient(): Promise<string | undefined> {
  for (const binary of ['mariadb', 'mysql']) {
    const ok = await new Promise<boolean>((resolve) =>
      execFile(binary, ['--version'], (error) => resolve(!error)),
    );
    if (ok) return binary;
  }
  return undefined;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

const binary = await findClient();
const serverUp = await reachable(MY.host, MY.port);
const loginWorks = binary !== undefined && serverUp && (await run(binary, MY.port, 'SELECT 1')).code === 0;
const database = `fp_proxy_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const table = `${database}.t`;

let proxy: FaultProxy;

const direct = (sql: string): Promise<Run> => run(binary!, MY.port, sql);
const viaProxy = (sql: string): Promise<Run> => run(binary!, proxy.port, sql);

async function ids(): Promise<string[]> {
  const result = await direct(`SELECT id FROM ${table} ORDER BY id`);
  expect(result.code).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!loginWorks)('fault proxy in front of MariaDB', () => {
  beforeAll(async () => {
    const created = await direct(`CREATE DATABASE ${database}; CREATE TABLE ${table} (id INT) ENGINE=InnoDB`);
    expect(created.stderr).toBe('');
  });

  afterAll(async () => {
    await direct(`DROP DATABASE IF EXISTS ${database}`);
  });

  beforeEach(async () => {
    await direct(`TRUNCATE TABLE ${table}`);
    proxy = await createFaultProxy({ target: { host: MY.host, port: MY.port }, protocol: 'mysql' });
  });

  afterEach(async () => {
    await proxy.close();
    await eventually(() => tcpHandles() === 0, 2000, 'no TCP handle left');
  });

  it('carries a session', async () => {
    const result = await viaProxy('SELECT 40 + 2');
    expect(result).toMatchObject({ code: 0, stdout: '42\n' });
    expect(proxy.stats().accepted).toBe(1);
  });

  it("cutOn COMMIT 'after': the client loses the connection, the row is committed", async () => {
    const cut = proxy.cutOn(/^COMMIT/i, { when: 'after' });
    const result = await viaProxy(`BEGIN; INSERT INTO ${table} VALUES (1); COMMIT`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/2013|Lost connection/);
    expect(cut.cuts).toBe(1);
    expect(await ids()).toEqual(['1']);
  });

  it("cutOn COMMIT 'before': the client loses the connection, the row is not committed", async () => {
    const cut = proxy.cutOn('COMMIT', { when: 'before' });
    const result = await viaProxy(`BEGIN; INSERT INTO ${table} VALUES (2); COMMIT`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/2013|2006|Lost connection|gone away/);
    expect(cut.cuts).toBe(1);
    expect(await ids()).toEqual([]);
  });

  it('cutOn an autocommit INSERT, after and before', async () => {
    proxy.cutOn(new RegExp(`^INSERT INTO ${table}`), { when: 'after', times: 1 });
    expect((await viaProxy(`INSERT INTO ${table} VALUES (3)`)).code).not.toBe(0);
    expect(await ids()).toEqual(['3']);
    await proxy.clear();
    proxy.cutOn(new RegExp(`^INSERT INTO ${table}`), { when: 'before' });
    expect((await viaProxy(`INSERT INTO ${table} VALUES (4)`)).code).not.toBe(0);
    expect(await ids()).toEqual(['3']);
  });

  it('sliceWrites: a real session works through 1-7 byte fragments, and cutOn still finds statements', async () => {
    proxy.sliceWrites();
    expect(await viaProxy('SELECT 7 * 6')).toMatchObject({ code: 0, stdout: '42\n' });
    proxy.cutOn(/^COMMIT/i, { when: 'after' });
    expect((await viaProxy(`BEGIN; INSERT INTO ${table} VALUES (5); COMMIT`)).code).not.toBe(0);
    expect(await ids()).toEqual(['5']);
  });
});
