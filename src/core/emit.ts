import type { EmitFailoverEvent } from './events';

/**
 * Wraps a facade's emit so that a throwing listener cannot break the pool's own state machine.
 * The listener's error is re-thrown on the next tick, where it surfaces as it would from any
 * Node.js emitter, instead of vanishing or aborting a failover half-way.
 */
export function guardEmit(emit: EmitFailoverEvent): EmitFailoverEvent {
  return (event, ...args) => {
    try {
      emit(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  };
}
