import { waitUntil } from '../../src/testing/cluster/wait-until';
import type { ReadsSubject } from './subject';

/**
 * Until the pool's monitor has measured every replica within `maxLagMs` (its probe runs every second):
 * before that, reads marked for a replica go to the primary, and a cell would measure the primary.
 */
export function replicasFit(subject: ReadsSubject, maxLagMs: number): Promise<void> {
  return waitUntil(
    'every replica measured within reads.maxLagMs',
    30_000,
    async () => {
      const nodes = subject.health().nodes.filter((n) => n.role === 'replica');
      const fit = nodes.filter((n) => n.healthy && n.lagMs !== undefined && n.lagMs <= maxLagMs);
      if (fit.length === subject.replicas.length) return true;
      return nodes
        .map((n) => `${n.node}: lag ${n.lagMs ?? '?'} ms${n.excluded ? `, ${n.excluded}` : ''}`)
        .join('; ');
    },
    { intervalMs: 100 },
  );
}
