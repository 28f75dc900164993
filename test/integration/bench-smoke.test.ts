import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harness } from '../../src/testing';
import { mariadbUnavailable } from './support/mariadb-fixture';
import { skipOrFail } from './support/required-servers';

/**
 * `npm test` checks that the benchmark scripts still run end to end, in their --smoke mode (one short
 * trial of one fault on each engine, no Node 22 peers), and write their reports. Figures are never
 * asserted: a timing on a shared machine proves nothing; `npm run bench:*` is where figures come from.
 * The MariaDB side runs where mariadbd is installed (the benches skip it otherwise, and so does this);
 * bench:galera where Galera is.
 */
const root = join(import.meta.dirname, '..', '..');
const out = mkdtempSync(join(process.env.FAILOVER_POOL_TMPDIR || tmpdir(), 'bench-smoke-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

type Engine = 'postgres' | 'mysql';

interface FailoverSection {
  cells: { client: string; trials: number }[];
  trials: { client: string; error?: string; timeline?: unknown }[];
}

interface OverheadSection {
  pairs: {
    cells: { workload: string; callers: number; ratio: number }[];
    heap: { oursKB: number };
  }[];
  routing: { routerPrimaryNs: number };
}

interface Report {
  failover?: Partial<Record<Engine, FailoverSection>>;
  overhead?: Partial<Record<Engine, OverheadSection>>;
}

/**
 * The Node 20 clients of each engine (the AWS wrapper needs Node 22: smoke skips it), and
 * failover-pool with promotion by the library (three app instances, two of them child processes).
 */
const FAILOVER_CLIENTS: Record<Engine, string[]> = {
  postgres: ['failover-pool', 'pg.Pool (first host)', 'postgres.js', 'failover-pool + promotion'],
  mysql: ['failover-pool', 'mariadb PoolCluster', 'mysql2 PoolCluster', 'failover-pool + promotion'],
};
/** PostgreSQL: pg.Pool; MariaDB: mysql2's promise and callback APIs. */
const OVERHEAD_PAIRS: Record<Engine, number> = { postgres: 1, mysql: 2 };
const engines: Engine[] = mariadbUnavailable() === undefined ? ['postgres', 'mysql'] : ['postgres'];
/** bench:galera's case runs where Galera is installed (CI installs galera-4 and requires it). */
const galeraMissing = harness.missingServer('galera');
if (galeraMissing) skipOrFail('MariaDB Galera (bench:galera --smoke)', galeraMissing);

const readReport = (): Report => JSON.parse(readFileSync(join(out, 'bench-report.json'), 'utf8')) as Report;

function runScript(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--smoke', '--out', out], {
      cwd: root,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Runs a bench script in --smoke mode; it must exit 0 and report a section for every engine this
 * machine runs. Returns its output and those sections.
 */
async function runBench<K extends keyof Report>(script: string, report: K) {
  const { code, output } = await runScript(script);
  expect(code, output).toBe(0);
  const sections = readReport()[report] ?? {};
  expect(Object.keys(sections).sort()).toEqual([...engines].sort());
  return { output, sections: sections as NonNullable<Report[K]> };
}

describe('benchmark scripts (smoke)', () => {
  it('bench:failover --smoke runs every Node 20 client through a fault on each engine and reports it', {
    timeout: 300_000,
  }, async () => {
    const { output, sections } = await runBench('bench/failover.ts', 'failover');
    for (const engine of engines) {
      const section = sections[engine];
      expect(section?.cells.map((c) => c.client).sort(), engine).toEqual(FAILOVER_CLIENTS[engine].sort());
      for (const trial of section?.trials ?? []) {
        expect(trial.error, `${engine} ${trial.client}`).toBeUndefined();
        expect(trial.timeline, `${engine} ${trial.client}`).toBeDefined();
      }
    }
    expect(output).toContain('acked writes lost');
    expect(readFileSync(join(out, 'bench-report.html'), 'utf8')).toContain('<svg');
  });

  it.skipIf(galeraMissing !== undefined)(
    'bench:galera --smoke runs the three MariaDB clients through a cut-off writer on a Galera cluster and prints their table',
    { timeout: 180_000 },
    async () => {
      const { code, output } = await runScript('bench/galera.ts');
      expect(code, output).toBe(0);
      const row =
        /^(failover-pool|mysql2 PoolCluster|mariadb PoolCluster) +writer cut off \(gmcast\.isolate\) +\d\/1 +/;
      expect(output.split('\n').filter((line) => row.test(line))).toHaveLength(3);
      expect(output).toContain('acked writes lost');
    },
  );

  it('bench:hung --smoke runs its frozen-primary trials on each engine and prints their table', {
    timeout: 300_000,
  }, async () => {
    const { code, output } = await runScript('bench/hung-node.ts');
    expect(code, output).toBe(0);
    expect(output).toContain('longest, abandonment off');
    const rows = output.split('\n').filter((line) => /^(PostgreSQL|MariaDB) +1 +\d+ ms/.test(line));
    expect(rows).toHaveLength(engines.length);
  });

  it('bench:race --smoke races promoting app instances (one process each) through a kill -9 on each engine and prints their count', {
    timeout: 300_000,
  }, async () => {
    const { code, output } = await runScript('bench/promotion-race.ts');
    expect(code, output).toBe(0);
    expect(output).toContain('exactly one promotion');
    const verdicts = output
      .split('\n')
      .filter((line) => /^(PostgreSQL|MariaDB): exactly one promotion in \d+ of 1 trials$/.test(line));
    expect(verdicts).toHaveLength(engines.length);
  });

  it('bench:exactly-once --smoke measures exactlyOnce writes against plain ones on each engine and prints their table', {
    timeout: 300_000,
  }, async () => {
    const { code, output } = await runScript('bench/exactly-once.ts');
    expect(code, output).toBe(0);
    const rows = output
      .split('\n')
      .filter((line) => /^\| (PostgreSQL|MariaDB) .*\| async \| (1|8) \|/.test(line));
    expect(rows).toHaveLength(engines.length * 2);
  });

  it('bench:reads --smoke measures replica reads and reads after a causal token on each engine and prints their tables', {
    timeout: 300_000,
  }, async () => {
    const { code, output } = await runScript('bench/reads.ts');
    expect(code, output).toBe(0);
    const lines = output.split('\n');
    const throughput = lines.filter((line) => /^\| (PostgreSQL|MariaDB) .*\| 8 \| \d+ \| \d+ \|/.test(line));
    expect(throughput).toHaveLength(engines.length);
    const causal = lines.filter((line) =>
      /^\| (PostgreSQL|MariaDB) .*\| (not delayed|replay 100 ms late|apply 1 s late) \| 4 \|/.test(line),
    );
    expect(causal).toHaveLength(engines.length * 2);
    // How staleness was measured: each measure on time and delayed, with samples (MariaDB: two measures).
    const lag = lines.filter((line) =>
      /^\| (PostgreSQL|MariaDB) .*\| (replay timestamps|Seconds_Behind_Master|heartbeat every 100 ms) \| [1-9]\d* \|/.test(
        line,
      ),
    );
    expect(lag).toHaveLength(engines.includes('mysql') ? 6 : 2);
  });

  it('bench:orms --smoke runs the raw pool and Knex through both faults on each engine and prints their table', {
    timeout: 300_000,
  }, async () => {
    const { code, output } = await runScript('bench/orms.ts');
    expect(code, output).toBe(0);
    const row =
      /^(PostgreSQL|MariaDB) +(raw pool|Knex) +(kill -9 \+ promotion|switchover) +1 +\d+ +\d+ ms +\d/;
    expect(output.split('\n').filter((line) => row.test(line))).toHaveLength(engines.length * 4);
  });

  it('bench:overhead --smoke compares the pools on every workload of each engine and reports it', {
    timeout: 300_000,
  }, async () => {
    const { sections } = await runBench('bench/overhead.ts', 'overhead');
    for (const engine of engines) {
      const section = sections[engine];
      expect(section?.pairs, engine).toHaveLength(OVERHEAD_PAIRS[engine]);
      for (const pair of section?.pairs ?? []) {
        expect(pair.cells).toHaveLength(9);
        for (const cell of pair.cells) expect(cell.ratio).toBeGreaterThan(0);
        expect(pair.heap.oursKB).toEqual(expect.any(Number));
      }
      expect(section?.routing.routerPrimaryNs).toBeGreaterThan(0);
    }
    expect(existsSync(join(out, 'bench-report.html'))).toBe(true);
  });
});
