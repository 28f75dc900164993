import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST } from './test-cluster';

export type SettingValue = string | number | boolean;

export const SUPERUSER = 'postgres';
export const APP_USER = 'app';
export const APP_DATABASE = 'app';

/** postgresql.conf settings of every node, before the caller's `serverSettings`. */
export function baseServerSettings(): Record<string, SettingValue> {
  return {
    wal_level: 'replica',
    max_wal_senders: 10,
    max_replication_slots: 10,
    hot_standby: true,
    // No replication slots: the primary keeps this much WAL so that a replica that was stopped or
    // repointed for a while can still catch up.
    wal_keep_size: '512MB',
    // A SIGKILLed server loses nothing while the OS page cache survives, and tests never crash the OS.
    fsync: false,
    // A standby retries a failed WAL source after this long (default 5 s): it follows a repoint or a
    // restarted primary at once.
    wal_retrieve_retry_interval: '100ms',
    // Standbys report their position every second (default 10 s), so pg_stat_replication is fresh.
    wal_receiver_status_interval: '1s',
    shared_buffers: '16MB',
    // Dynamic shared memory as files in the data folder: the default (posix) leaves a segment in
    // /dev/shm behind each server that is killed, destroy() included, and nothing ever removes it.
    dynamic_shared_memory_type: 'mmap',
  };
}

export function formatSettingValue(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Setting value ${value} is not a finite number.`);
    return String(value);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

function assertSettingName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`"${name}" is not a PostgreSQL setting name.`);
}

export function renderSettings(settings: Record<string, SettingValue>): string {
  return Object.entries(settings)
    .map(([name, value]) => {
      assertSettingName(name);
      return `${name} = ${formatSettingValue(value)}\n`;
    })
    .join('');
}

/**
 * Only what must differ per node, or must never be changed by ALTER SYSTEM, goes on the command line.
 * primary_conninfo and synchronous_standby_names stay in postgresql.auto.conf: a command-line value
 * would silently win over ALTER SYSTEM.
 */
export function serverArgs(dataDir: string, port: number): string[] {
  return [
    '-D',
    dataDir,
    '-c',
    `port=${port}`,
    '-c',
    `listen_addresses=${HOST}`,
    // TCP only: no socket files to collide with the machine's own server or to clean up.
    '-c',
    'unix_socket_directories=',
  ];
}

export function initdbArgs(dataDir: string, version: number): string[] {
  const args = [
    '-D',
    dataDir,
    '-U',
    SUPERUSER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    // The data is thrown away after the test; syncing it costs most of initdb's time.
    '--no-sync',
  ];
  // --no-instructions arrived in 14; without it initdb only prints a hint into its log.
  if (version >= 14) args.push('--no-instructions');
  return args;
}

/**
 * Trust for the superuser and replication, so tests and standbys need no password; SCRAM for the app
 * role so that it authenticates like a production application does.
 */
export function hbaConf(): string {
  return [
    '# TYPE  DATABASE     USER      ADDRESS        METHOD',
    `host    all          ${SUPERUSER}  ${HOST}/32   trust`,
    `host    replication  ${SUPERUSER}  ${HOST}/32   trust`,
    `host    all          all       ${HOST}/32   scram-sha-256`,
    '',
  ].join('\n');
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** conninfo a standby uses to stream from the node on `primaryPort`. */
export function primaryConninfo(primaryPort: number, standbyName: string): string {
  // application_name is how synchronous_standby_names and pg_stat_replication know the standby;
  // connect_timeout bounds the wait on a hung (SIGSTOPped) primary.
  return `host=${HOST} port=${primaryPort} user=${SUPERUSER} application_name=${standbyName} connect_timeout=2`;
}

/**
 * Sets (or replaces) one setting in postgresql.auto.conf of a stopped server, the file ALTER SYSTEM
 * writes. A running server must use ALTER SYSTEM instead.
 */
export async function setAutoConfSetting(dataDir: string, name: string, value: SettingValue): Promise<void> {
  assertSettingName(name);
  const path = join(dataDir, 'postgresql.auto.conf');
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    // A missing file is created; ALTER SYSTEM reads it back fine.
  }
  const kept = text
    .split('\n')
    .filter((line) => line !== '' && !new RegExp(`^\\s*${name.replaceAll('.', '\\.')}\\s*=`, 'i').test(line));
  kept.push(`${name} = ${formatSettingValue(value)}`);
  await writeFile(path, `${kept.join('\n')}\n`);
}

/** synchronous_standby_names naming the standbys that may confirm commits, first one preferred. */
export function synchronousStandbyNames(standbys: readonly string[]): string {
  return standbys.length === 0 ? '' : `FIRST 1 (${standbys.join(', ')})`;
}
