import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What one run under valgrind needs: the pool to open and the statements to run. */
export interface ChildSpec {
  readonly engine: 'postgres' | 'mysql';
  readonly api: 'promise' | 'callback';
  readonly side: 'raw' | 'ours';
  readonly statements: number;
  readonly callers: number;
  readonly server: { hosts: string[]; primaryPort: number; user: string; password: string; database: string };
  /** failover-pool's build folder. */
  readonly dist: string;
}

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));

/**
 * The instructions the child executed, as callgrind counts them: the same for the same program and
 * inputs whatever else the machine does, so a difference of a few hundred per statement shows.
 * `--single-threaded` keeps V8's background compiler and collector on the main thread, where the
 * count does not depend on how threads interleave.
 */
export function instructionsOf(spec: ChildSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        '--smc-check=all-non-file',
        '--callgrind-out-file=/dev/null',
        process.execPath,
        '--single-threaded',
        CHILD,
        JSON.stringify(spec),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (code === 0 && collected) resolve(Number(collected[1]));
      else reject(new Error(`valgrind run failed (exit ${code}): ${stderr.slice(-800)}`));
    });
  });
}
