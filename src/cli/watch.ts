import type { WatchedPool } from './open-pool';

/** One line per cluster event the command shows while it watches. */
export interface ShownEvent {
  readonly at: Date;
  readonly name: string;
  readonly text: string;
}

/** Subscribes to the events an operator wants to see unfold during a failover. */
export function onClusterEvents(pool: WatchedPool, show: (event: ShownEvent) => void): void {
  const emit = (name: string, text: string) => show({ at: new Date(), name, text });
  pool.on('nodeDown', (e) => emit('nodeDown', `${e.node} down: ${e.error.message}`));
  pool.on('nodeUp', (e) => emit('nodeUp', `${e.node} up as ${e.role}`));
  pool.on('primaryLost', (e) => emit('primaryLost', `primary ${e.from} lost: ${e.reason}`));
  pool.on('primaryChanged', (e) =>
    emit(
      'primaryChanged',
      `primary ${e.from ?? '(none)'} -> ${e.to}` +
        (e.detectedAfterMs === undefined
          ? ''
          : `, found ${Math.round(e.detectedAfterMs)} ms after the old one failed`),
    ),
  );
  pool.on('splitBrain', (e) => emit('splitBrain', `split brain: ${e.nodes.join(', ')} take writes`));
  pool.on('clusterMismatch', (e) => emit('clusterMismatch', `${e.node}: ${e.error.message}`));
}

/** `HH:MM:SS.mmm` of the local clock, for people reading a failover as it happens. */
export function clock(at: Date): string {
  return `${at.toTimeString().slice(0, 8)}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

/** What changes the picture: roles, health, exclusions and where writes go (positions move always). */
export function pictureKey(pool: WatchedPool): string {
  const health = pool.health();
  return JSON.stringify([
    health.primary,
    health.reason ?? null,
    pool.topology().nodes.map((n) => [n.name, n.role, n.healthy, n.writable, n.excluded ?? null]),
  ]);
}
