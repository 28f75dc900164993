import type { ReadsSubject, Rows } from './subject';
import { portOf } from './workload';

/** Reads counted by the node that served them (its name, from the port it answered with). */
export type Served = Map<string, number>;

export function countServed(served: Served, subject: ReadsSubject, rows: Rows): void {
  const port = portOf(rows);
  const node = subject.nodeOfPort.get(port) ?? `port ${port}`;
  served.set(node, (served.get(node) ?? 0) + 1);
}

/** Reads served by the replicas, and by anything else (the primary). */
export function replicaShare(served: Served, subject: ReadsSubject): { replicas: number; other: number } {
  let replicas = 0;
  let other = 0;
  for (const [node, n] of served) {
    if (subject.replicas.includes(node)) replicas += n;
    else other += n;
  }
  return { replicas, other };
}

/** "node1 0, node2 5123, node3 5120": every node of the cluster, in order. */
export function describeServed(served: Served, subject: ReadsSubject): string {
  const nodes = [subject.primary, ...subject.replicas];
  const others = [...served.keys()].filter((node) => !nodes.includes(node));
  return [...nodes, ...others].map((node) => `${node} ${served.get(node) ?? 0}`).join(', ');
}
