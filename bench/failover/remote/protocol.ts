import type { Endpoints } from '../types';

/**
 * Messages between the bench (Node 20) and a client running in a child process (a peer that needs
 * another Node). The bench keeps the clock and the history: the child only runs inserts, so every
 * client is timed the same way (the IPC hop adds well under a millisecond to each write).
 */
export type ToChild =
  | { type: 'open'; endpoints: Endpoints; poolSize: number }
  | { type: 'insert'; seq: number; id: number }
  | { type: 'close' };

/** An error as the app would have seen it in the child: its class (`code`, else constructor name). */
export interface WireError {
  readonly code: string;
  readonly message: string;
}

export type FromChild =
  | { type: 'opened' }
  | { type: 'open-failed'; error: WireError }
  | { type: 'result'; seq: number; error?: WireError }
  /** Something the peer did outside any call: an unhandled rejection, an uncaught exception. */
  | { type: 'incident'; what: string; error: WireError }
  | { type: 'closed' };

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' && code !== '' ? code : error.name, message: error.message };
  }
  return { code: typeof error, message: String(error) };
}
