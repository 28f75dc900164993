/** Server values as mysql2 hands them over: numbers, bigints, strings or Buffers. */

/** `@@read_only` arrives as 0/1 (number or bigint), or as 'ON'/'OFF' through some proxies. */
export function truthy(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return value === '1' || value.toUpperCase() === 'ON';
  return value === true;
}

export function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+$/.test(value))) return Number(value);
  return undefined;
}
