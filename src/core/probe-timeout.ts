import type { NodeAddress } from './node';

/** A probe (connect included) got no answer within `monitor.timeoutMs`: the node may just be hung. */
export class ProbeTimeoutError extends Error {
  constructor(node: NodeAddress, ms: number) {
    super(`Probe of ${node.name} got no answer within ${ms} ms (monitor.timeoutMs)`);
    this.name = 'ProbeTimeoutError';
  }
}
