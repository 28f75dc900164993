import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestCluster } from '../../src/testing';
import { address } from './support/engine-fixture';
import { oneFixturePerEngine } from './support/fixtures';
import { endedAfterEach } from './support/resources';
import { eventually } from './support/wait';

/**
 * `npx failover-pool status` (docs/operations.md) against real clusters, run as users run it: the
 * built command (bin/failover-pool.mjs, dist/cli.js) in its own process, credentials from the
 * engine's usual environment variables. `--json`, the table, and `--watch` following a failover.
 */

const bin = resolve(import.meta.dirname, '../../bin/failover-pool.mjs');

/** The command's arguments and environment for a cluster: its nodes directly, the app's account. */
function invocation(fixture: { engine: string }, cluster: TestCluster, extra: string[]) {
  const { user, password, database } = cluster.connectionOptions;
  const hosts = cluster.nodes.map((n) => address(cluster, n.name));
  const pg = fixture.engine === 'postgresql';
  const env = { ...process.env, NO_COLOR: '1', ...(pg ? { PGPASSWORD: password } : { MYSQL_PWD: password }) };
  const args = [
    'status',
    ...hosts,
    '--engine',
    pg ? 'pg' : 'mysql',
    '--user',
    user,
    '--database',
    database,
    ...extra,
  ];
  return { args, env };
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe.each(oneFixturePerEngine())('failover-pool status on %s', (_name, fixture) => {
  const started = endedAfterEach();

  it('prints the cluster as JSON and as a table; exits 0 with a primary', async () => {
    const cluster = started.cluster(await fixture.start());
    const node1 = address(cluster, 'node1');
    const json = invocation(fixture, cluster, ['--json']);
    const answer = await run(json.args, json.env);
    expect(answer.stderr).toBe('');
    expect(answer.code).toBe(0);
    const status = JSON.parse(answer.stdout) as {
      primary: string;
      writable: boolean;
      topology: { nodes: { name: string; role: string; healthy: boolean }[] };
    };
    expect(status).toMatchObject({ primary: node1, writable: true });
    expect(status.topology.nodes.map((n) => [n.role, n.healthy])).toEqual([
      ['primary', true],
      ['replica', true],
      ['replica', true],
    ]);

    const text = invocation(fixture, cluster, []);
    const table = await run(text.args, text.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`writes go to ${node1}`);
    expect(table.stdout).toMatch(new RegExp(`${address(cluster, 'node2')}\\s+replica\\s+yes\\s+no`));
    expect(table.stdout).not.toContain('\x1b['); // no colours off a terminal
  });

  it('--watch shows a failover as it unfolds; a usage error exits 1', async () => {
    const cluster = started.cluster(await fixture.start());
    const { args, env } = invocation(fixture, cluster, ['--watch', '--interval', '200']);
    const child: ChildProcess = spawn(process.execPath, [bin, ...args], { env });
    started.ends(async () => void child.kill('SIGKILL'));
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await eventually('the first table', () => stdout.includes(`writes go to ${address(cluster, 'node1')}`));

    cluster.kill('node1', 'SIGKILL');
    await eventually('the primary lost', () => stdout.includes(`primary ${address(cluster, 'node1')} lost`));
    await cluster.promote('node2');
    await eventually(
      'the new primary',
      () =>
        stdout.includes(`-> ${address(cluster, 'node2')}`) &&
        stdout.includes(`writes go to ${address(cluster, 'node2')}`),
      20_000,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);

    const wrong = await run(['stats', '127.0.0.1:1'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Unknown command "stats"');
  });
});
