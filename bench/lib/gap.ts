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

/**
 * The longest gap between consecutive acknowledgements (sorted, ascending) anywhere from the last
 * one before `faultAt` to the first one after `until`: for a client that may stall more than once
 * in one fault sequence (a Galera writer that moves off a node and back). Undefined when nothing
 * was acknowledged after `until`.
 */
export const longestGap: typeof outageGap = (acks, faultAt, until) => {
  const last = acks.findIndex((t) => t > until);
  if (last < 0) return undefined;
  const next = acks.findIndex((t) => t > faultAt);
  // The gap that spans the fault runs from the last acknowledgement before it (or the fault itself).
  let gap = { from: next > 0 ? (acks[next - 1] as number) : faultAt, to: acks[next] as number };
  for (let i = next + 1; i <= last; i++) {
    const [from, to] = [acks[i - 1] as number, acks[i] as number];
    if (to - from > gap.to - gap.from) gap = { from, to };
  }
  return gap;
};
