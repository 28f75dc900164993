/** PostgreSQL's WAL positions (`0/3000060`) and timelines, as numbers that compare. */

export function lsnToBytes(lsn: string | undefined): bigint | undefined {
  if (lsn === undefined) return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

export function bytesToLsn(bytes: bigint): string {
  return `${(bytes >> 32n).toString(16).toUpperCase()}/${(bytes & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * The timeline is the first 8 hex digits of a WAL file name (`000000020000000000000003`). Read from
 * the current WAL file because `pg_control_checkpoint().timeline_id` still shows the old timeline
 * right after a promotion (until the next checkpoint).
 */
export function timelineOf(walFile: string | undefined): number | undefined {
  if (walFile === undefined || !/^[0-9A-Fa-f]{24}$/.test(walFile)) return undefined;
  return Number.parseInt(walFile.slice(0, 8), 16);
}
