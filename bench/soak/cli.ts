import { parseArgs } from 'node:util';
import { engineOf } from '../lib/args';
import type { Engine } from './app-pool';

/**
 * Command-line pieces the soak and the many-instances bench share: whole-number flags, and Ctrl-C
 * handling that never leaves servers or child processes behind.
 */
export function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive whole number, got "${value}".`);
  return n;
}

/**
 * The first Ctrl-C (or SIGTERM) asks the bench to stop at its next step and report what it has;
 * a second one runs `abort` (destroy the cluster, kill the children) and exits at once.
 */
export function onInterrupt(abort: () => Promise<unknown> | undefined): { readonly requested: boolean } {
  const state = { requested: false };
  let firstAt = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (!state.requested) {
      state.requested = true;
      firstAt = performance.now();
      console.log(`\n${signal}: stopping after the current step (again to abort at once)`);
      return;
    }
    // One Ctrl-C under `npx tsx` arrives twice: from the terminal and relayed by tsx. Not a second one.
    if (performance.now() - firstAt < 1_000) return;
    void Promise.resolve(abort())
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return state;
}

/**
 * The flags of the soak and the many-instances bench: `--engine`, `--smoke`, and whole numbers named in
 * `numbers` with their defaults, `[full run, --smoke]`.
 */
export function parseBenchFlags<K extends string>(
  numbers: Record<K, readonly [full: number, smoke: number]>,
): { smoke: boolean; engine: Engine; counts: Record<K, number> } {
  const names = Object.keys(numbers) as K[];
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      engine: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    },
    strict: true,
  });
  const smoke = values.smoke === true;
  const given = values as Record<string, string | boolean | undefined>;
  const counts = Object.fromEntries(
    names.map((name) => {
      const value = given[name];
      return [
        name,
        wholeNumber(typeof value === 'string' ? value : undefined, name, numbers[name][smoke ? 1 : 0]),
      ];
    }),
  ) as Record<K, number>;
  return { smoke, engine: engineOf(typeof values.engine === 'string' ? values.engine : 'postgres'), counts };
}
