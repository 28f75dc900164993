import { type FindPgBinariesOptions, findPgBinaries } from './binaries';
import { type FindGaleraBinariesOptions, findGaleraBinaries } from './galera-binaries';
import { type FindMariadbBinariesOptions, findMariadbBinaries } from './mariadb-binaries';

/**
 * Why test clusters of `engine` cannot start on this machine (its server binaries were not found;
 * the message says where they were looked for), or undefined when they can: for suites that skip
 * themselves, and say why, where a server is not installed. 'galera' also needs Galera's provider
 * library and the rsync state transfer tools.
 */
export function missingServer(engine: 'postgresql', options?: FindPgBinariesOptions): string | undefined;
export function missingServer(engine: 'mariadb', options?: FindMariadbBinariesOptions): string | undefined;
export function missingServer(engine: 'galera', options?: FindGaleraBinariesOptions): string | undefined;
export function missingServer(engine: 'postgresql' | 'mariadb' | 'galera'): string | undefined;
export function missingServer(
  engine: 'postgresql' | 'mariadb' | 'galera',
  options: FindPgBinariesOptions & FindGaleraBinariesOptions = {},
): string | undefined {
  try {
    if (engine === 'postgresql') findPgBinaries(options);
    else if (engine === 'galera') findGaleraBinaries(options);
    else findMariadbBinaries(options);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
