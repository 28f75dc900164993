/**
 * The outage as the failover bench defines it, on the times (sorted, ascending) of the writes that
 * count: the longest gap between consecutive acknowledgements from the fault up to the first one
 * after the new primary became writable (a gap that starts before the fault counts from its start).
 * Undefined when nothing was acknowledged after `writableAt`: the writer never recovered.
 */
export function outageGap(
  acks: readonly number[],
  faultAt: number,
  writableAt: number,
): { from: number; to: number } | undefined {
  const firstAfter = acks.findIndex((t) => t > writableAt);
  if (firstAfter < 0) return undefined;
  let gap = { from: faultAt, to: acks[firstAfter] as number };
  for (let i = 1; i <= firstAfter; i++) {
    const [from, to] = [acks[i - 1] as number, acks[i] as number];
    if (to > faultAt && to - from > gap.to - gap.from) gap = { from, to };
  }
  return gap;
}
