/**
 * Server session ids as SQL list items. They come from the driver (a backend pid, a thread id),
 * never from the app; anything but a positive whole number is refused rather than written into SQL.
 */
export function sessionIdList(ids: readonly number[]): string {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`Not a server session id: ${id}`);
  }
  return ids.length === 0 ? 'NULL' : ids.join(', ');
}
