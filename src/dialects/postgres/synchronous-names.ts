/**
 * `synchronous_standby_names` for a standby just promoted, from its former primary's value. The old
 * value names standbys by application_name, and the new primary is usually one of them (naming
 * itself, it would wait forever for its own confirmation), while the standby that will confirm is
 * whichever replica gets repointed to it. So the method (FIRST / ANY) and the count carry over, the
 * list becomes `*` (any standby), and the count never exceeds the replicas left: asking for more
 * confirmations than there are standbys makes every commit wait forever.
 */
export function carriedStandbyNames(previous: string, replicas: number): string {
  const text = previous.trim();
  if (text === '' || replicas < 1) return '';
  const counted = /^(FIRST|ANY)?\s*(\d+)\s*\(/i.exec(text);
  const method = (counted?.[1] ?? 'FIRST').toUpperCase();
  const wanted = counted ? Number(counted[2]) : 1;
  if (wanted < 1) return '';
  return `${method} ${Math.min(wanted, replicas)} (*)`;
}
