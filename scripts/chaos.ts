/**
 * `npm run chaos`: the fault matrix on real local clusters, then a table on the terminal,
 * chaos-report.json and chaos-report.html in the current folder (or --out).
 *
 *   npm run chaos -- --trials 5 --faults kill-primary,partition-primary --replication sync --engines mariadb
 *
 * Exits with 1 when a cell fails: anything lost or duplicated under synchronous replication,
 * anything duplicated, applied although reported failed, or written to the wrong node anywhere.
 *
 * `--exactly-once`: every write of the workload is exactly once (`failover.exactlyOnce`), and a
 * trial in which the app saw any error at all fails too.
 */
import { statfsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type ChaosEngine,
  type ChaosReport,
  chaos,
  formatChaosTable,
  harness,
  mariadbChaosEngine,
  pgChaosEngine,
  runChaos,
  writeChaosReport,
} from '../src/testing/index';

const USAGE = `Usage: npm run chaos -- [--trials N] [--faults a,b] [--replication async,sync] [--engines postgresql,mariadb] [--exactly-once] [--out DIR]
Faults: ${chaos.ALL_FAULTS.map((fault) => fault.name).join(', ')}
  (library-*: the app's pools promote a replica themselves, three app instances, nobody else repairs)
Engines: postgresql, mariadb (default: every one whose server binaries are found)`;

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function parse() {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '5' },
      faults: { type: 'string' },
      replication: { type: 'string', default: 'async,sync' },
      engines: { type: 'string' },
      out: { type: 'string', default: '.' },
      'exactly-once': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`--trials must be a positive integer.\n${USAGE}`);
  const replication = list(values.replication) ?? [];
  for (const mode of replication) {
    if (mode !== 'async' && mode !== 'sync')
      throw new Error(`--replication takes async and/or sync.\n${USAGE}`);
  }
  const engines = list(values.engines) ?? availableEngines();
  if (engines.length === 0) throw new Error(`No engine's server binaries were found.\n${USAGE}`);
  const unknown = engines.find((engine) => !isEngine(engine));
  if (unknown !== undefined) {
    throw new Error(`Unknown engine "${unknown}"; available: ${Object.keys(ENGINES).join(', ')}.`);
  }
  return {
    trials,
    faults: chaos.faultsNamed(list(values.faults)),
    replication: replication as harness.ReplicationMode[],
    engines: engines.filter(isEngine),
    out: values.out,
    exactlyOnce: values['exactly-once'],
  };
}

/** Same rule as the integration tests: clusters on /dev/shm when it has room (file creation in /tmp is slow). */
function clusterTmpDir(): string | undefined {
  if (process.env.FAILOVER_POOL_TMPDIR) return undefined;
  try {
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize > 4 * 1024 ** 3 ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

/** The engines of the matrix by name (the harness's engine names). Galera joins here when its pool lands. */
/** The engines' own wait for a primary, and every write exactly once when asked. */
const poolOptions = (exactlyOnce: boolean) => ({ failover: { waitForPrimaryMs: 20_000, exactlyOnce } });

const ENGINES: Record<'postgresql' | 'mariadb', (exactlyOnce: boolean) => ChaosEngine<unknown>> = {
  postgresql: (exactlyOnce) =>
    pgChaosEngine({ cluster: { tmpDir: clusterTmpDir() }, pool: poolOptions(exactlyOnce) }),
  mariadb: (exactlyOnce) =>
    mariadbChaosEngine({ cluster: { tmpDir: clusterTmpDir() }, pool: poolOptions(exactlyOnce) }),
};
type EngineName = keyof typeof ENGINES;
const isEngine = (name: string): name is EngineName => name in ENGINES;

/** Without --engines: every engine this machine can run, saying which ones it skips and why. */
function availableEngines(): EngineName[] {
  return (Object.keys(ENGINES) as EngineName[]).filter((name) => {
    const missing = harness.missingServer(name);
    if (missing) console.warn(`Skipping ${name}: ${missing}`);
    return missing === undefined;
  });
}

function progress(result: chaos.TrialResult): void {
  const skips = Object.entries(result.promotionSkips).map(([reason, count]) => `${reason} x${count}`);
  const verdict = result.harnessError
    ? `BROKEN: ${result.harnessError}`
    : `ok ${result.writes.ok}, lost ${result.lost}, dup ${result.duplicated}, unknown ${result.writes.unknown}, ` +
      `outage ${result.outageMs} ms, promotions ${result.promotions}` +
      (skips.length ? ` (not promoting: ${skips.join(', ')})` : '') +
      (result.resumed ? '' : ', WRITES NEVER RESUMED') +
      (result.libraryFailures.length ? `, FAILED: ${result.libraryFailures.join('; ')}` : '');
  console.log(`  ${result.engine} ${result.fault} ${result.replication} #${result.trial}: ${verdict}`);
}

async function main(): Promise<void> {
  const options = parse();
  const runs = options.faults.length * options.replication.length * options.trials;
  console.log(
    `Chaos matrix: ${options.faults.length} faults x ${options.replication.join('/')} x ${options.trials} trials (${runs} per engine)`,
  );
  const reports: ChaosReport[] = [];
  for (const name of options.engines) {
    reports.push(
      await runChaos({
        engine: ENGINES[name](options.exactlyOnce),
        faults: options.faults,
        replication: options.replication,
        trials: options.trials,
        onTrial: progress,
      }),
    );
  }
  const report = chaos.mergeReports(reports);
  console.log(`\n${formatChaosTable(report)}`);
  const files = await writeChaosReport(report, options.out);
  console.log(`\nWrote ${files.json}\nWrote ${files.html}`);
  if (report.cells.some((cell) => cell.verdict === 'fail')) process.exitCode = 1;
  if (options.exactlyOnce) {
    // Exactly-once writes promise the app no error at all: not even an outcome left unknown.
    const erred = report.trials.filter((trial) => Object.keys(trial.errors).length > 0);
    for (const trial of erred) {
      console.log(
        `exactly-once: the app saw errors in ${trial.engine} ${trial.fault} ${trial.replication} #${trial.trial}: ${JSON.stringify(trial.errors)}`,
      );
    }
    console.log(
      `exactly-once: ${report.trials.length - erred.length} of ${report.trials.length} trials without any error`,
    );
    if (erred.length > 0) process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
