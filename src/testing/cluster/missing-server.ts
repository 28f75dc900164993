import { type FindPgBinariesOptions, findPgBinaries } from './binaries';
import { type FindMariadbBinariesOptions, findMariadbBinaries } from './mariadb-binaries';

/**
 * Why test clusters of `engine` cannot start on this machine (its server binaries were not found;
 * the message says where they were looked for), or undefined when they can: for suites that skip
 * themselves, and say why, where a server is not installed.
 */
export function missingServer(engine: 'postgresql', options?: FindPgBinariesOptions): string | undefined;
export function missingServer(engine: 'mariadb', options?: FindMariadbBinariesOptions): string | undefined;
export function missingServer(engine: 'postgresql' | 'mariadb'): string | undefined;
export function missingServer(
  engine: 'postgresql' | 'mariadb',
  options: FindPgBinariesOptions & FindMariadbBinariesOptions = {},
): string | undefined {
  try {
    if (engine === 'postgresql') findPgBinaries(options);
    else findMariadbBinaries(options);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
