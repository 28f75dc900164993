/**
 * Deletes keys whose value is undefined, in place. Snapshots and probes are printed and compared
 * by users; absent fields should be absent, not `undefined`.
 */
export function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
