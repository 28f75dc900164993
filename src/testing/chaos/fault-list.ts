/** Every fault of the chaos matrix, and how the command line names them. */
import { FOLLOWER_FAULTS } from './faults';
import { LIBRARY_FAULTS } from './library-faults';
import type { ChaosFault } from './types';

/** Every fault of the matrix, in report order: those the library follows, then those it recovers from itself. */
export const ALL_FAULTS: readonly ChaosFault[] = [...FOLLOWER_FAULTS, ...LIBRARY_FAULTS];

export function faultsNamed(names: readonly string[] | undefined): ChaosFault[] {
  if (!names) return [...ALL_FAULTS];
  return names.map((name) => {
    const fault = ALL_FAULTS.find((candidate) => candidate.name === name);
    if (!fault) {
      throw new Error(`Unknown fault "${name}"; known: ${ALL_FAULTS.map((f) => f.name).join(', ')}.`);
    }
    return fault;
  });
}
