/**
 * The fault proxy in front of a real MariaDB, started by the harness (one node, the harness's
 * admin account). The client is the `mariadb` (or `mysql`) command-line client, another client
 * than the library's: it sends each statement of `-e` as its own COM_QUERY.
 */
import { execFile } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createFaultProxy,
  type FaultProxy,
  type MariadbCluster,
  startMariadbCluster,
} from '../../src/testing';
import { eventually, tcpHandles } from '../support/fault-proxy-helpers';
import { mariadbUnavailable } from './support/mariadb-fixture';
import { skipOrFail } from './support/required-servers';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let cluster: MariadbCluster;

/** Runs `sql` with the command-line client against `port` (the node's, or the proxy's), as the admin. */
function run(binary: string, port: number, sql: string): Promise<Run> {
  const args = [
    '-h',
    '127.0.0.1',
    '-P',
    String(port),
    `-u${cluster.admin.user}`,
    '--skip-ssl',
    '-N',
    '-B',
    '-e',
    sql,
  ];
  // The password through the environment: on the command line the client warns on stderr.
  const env = { ...process.env, MYSQL_PWD: cluster.admin.password };
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 10_000, env }, (error, stdout, stderr) => {
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
  skipOrFail('the mariadb command-line client', 'neither `mariadb` nor `mysql` is on the PATH');
  return undefined;
}

const binary = mariadbUnavailable() === undefined ? await findClient() : undefined;
const database = 'proxied';
const table = `${database}.t`;

let proxy: FaultProxy;

const direct = (sql: string): Promise<Run> => run(binary!, cluster.node('node1').port, sql);
const viaProxy = (sql: string): Promise<Run> => run(binary!, proxy.port, sql);

async function ids(): Promise<string[]> {
  const result = await direct(`SELECT id FROM ${table} ORDER BY id`);
  expect(result.code).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!binary)('fault proxy in front of MariaDB', () => {
  beforeAll(async () => {
    cluster = await startMariadbCluster({ replicas: 0 });
    const created = await direct(`CREATE DATABASE ${database}; CREATE TABLE ${table} (id INT) ENGINE=InnoDB`);
    expect(created.stderr).toBe('');
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  beforeEach(async () => {
    await direct(`TRUNCATE TABLE ${table}`);
    proxy = await createFaultProxy({
      target: { host: '127.0.0.1', port: cluster.node('node1').port },
      protocol: 'mysql',
    });
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
