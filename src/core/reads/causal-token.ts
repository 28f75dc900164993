import type { Dialect } from '../dialect';
import { ConfigError } from '../errors';

/**
 * A causal token: what a pool's primary had committed when `pool.causalToken()` was called, as a
 * plain string another app instance can carry (a cookie, a header) and hand to its own pool.
 * `position` is the engine's (PostgreSQL LSN; MariaDB GTID list; MySQL GTID set), `generation` the
 * primary's (PostgreSQL timeline; MariaDB takeover point) when it had one.
 */
export interface CausalPosition {
  readonly engine: Dialect['name'];
  readonly position: string;
  readonly generation?: number;
}

const PREFIX = 'fp1.';

/** The token as a string of letters, digits, `-` and `_` after its prefix: safe in a cookie or a URL. */
export function encodeCausalToken(causal: CausalPosition): string {
  const body = {
    e: causal.engine,
    p: causal.position,
    ...(causal.generation !== undefined && { g: causal.generation }),
  };
  return PREFIX + Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Reads a token given as `after`; a string that is not one is the caller's mistake, said plainly. */
export function decodeCausalToken(token: unknown, engine: Dialect['name']): CausalPosition {
  if (typeof token !== 'string' || !token.startsWith(PREFIX)) {
    throw new ConfigError(
      'query.after',
      `expected a token from pool.causalToken() (a string starting "${PREFIX}"), got ${describeToken(token)}.`,
    );
  }
  let body: { e?: unknown; p?: unknown; g?: unknown };
  try {
    body = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw new ConfigError(
      'query.after',
      'the token is damaged: pass the string pool.causalToken() returned, unchanged.',
    );
  }
  if (typeof body?.p !== 'string' || (body.g !== undefined && typeof body.g !== 'number')) {
    throw new ConfigError(
      'query.after',
      'the token is damaged: pass the string pool.causalToken() returned, unchanged.',
    );
  }
  if (body.e !== engine) {
    throw new ConfigError(
      'query.after',
      `the token is from a ${String(body.e)} pool, and this pool is ${engine}.`,
    );
  }
  return { engine, position: body.p, ...(typeof body.g === 'number' && { generation: body.g }) };
}

function describeToken(token: unknown): string {
  if (typeof token !== 'string') return typeof token;
  return JSON.stringify(token.length > 20 ? `${token.slice(0, 20)}...` : token);
}
