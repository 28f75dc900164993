/**
 * A lock name as a signed 64-bit integer (FNV-1a), for engines whose advisory locks take a number
 * (PostgreSQL's `pg_try_advisory_lock(bigint)`). Every app instance computes the same key for the
 * same name, which is all agreement needs.
 */
export function lockKeyOf(name: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash).toString();
}
