import { readdirSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AppPool } from './app-pool';

/**
 * What a leak would show in the client process after many failovers: file descriptors (sockets among
 * them), listeners on the pool's own events, the event loop's active resources (sockets, timers), and
 * the heap used after a full collection. `gc` is made available at run time (the V8 flag, then a fresh
 * context's `gc`), so the soak needs no `--expose-gc` on its command line.
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Listeners the library adds to its own internal emitters (a driver's pools and clients) are out of
 * reach from here, but a leak of them ends in Node's MaxListenersExceededWarning: counted.
 */
let warnings = 0;
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') warnings++;
});

export interface ProcessSample {
  fds: number;
  sockets: number;
  /** Listeners on the pool, all events together, and by event. */
  listeners: number;
  listenersByEvent: Record<string, number>;
  /** process.getActiveResourcesInfo(), all together and by kind ('TCPSocketWrap', 'Timeout', ...). */
  resources: number;
  resourcesByKind: Record<string, number>;
  heapUsedBytes: number;
  /** MaxListenersExceededWarning so far. */
  listenerWarnings: number;
}

export function sampleProcess(pool: AppPool): ProcessSample {
  const fds = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // The directory's own descriptor is gone by the time it is read.
    }
  }
  const listenersByEvent: Record<string, number> = {};
  for (const name of pool.emitter.eventNames()) {
    listenersByEvent[String(name)] = pool.emitter.listenerCount(name);
  }
  const resourcesByKind: Record<string, number> = {};
  const resources = process.getActiveResourcesInfo();
  for (const kind of resources) resourcesByKind[kind] = (resourcesByKind[kind] ?? 0) + 1;
  // Twice: the first pass may only queue finalizers that the second frees.
  collect();
  collect();
  return {
    fds: fds.length,
    sockets,
    listeners: Object.values(listenersByEvent).reduce((a, b) => a + b, 0),
    listenersByEvent,
    resources: resources.length,
    resourcesByKind,
    heapUsedBytes: process.memoryUsage().heapUsed,
    listenerWarnings: warnings,
  };
}
