import type { FailoverEvents } from '../../src/core/events';
import { epochMs } from '../lib/time';

/** The events of promotion by the library (docs/promotion.md) that the benches count. */
export type PromotionEventName =
  | 'promotionStarted'
  | 'promoted'
  | 'promotionSkipped'
  | 'repointed'
  | 'fenced';

/** One such event of one app instance, as plain data: it crosses process boundaries. */
export interface PromotionRecord {
  /** The app instance that emitted it (1: the bench's writer). */
  readonly instance: number;
  readonly event: PromotionEventName;
  /** When it was emitted, in epoch ms (bench/lib/time.ts epochMs). */
  readonly at: number;
  /** promoted, repointed, fenced: the node; promotionStarted, promotionSkipped: the primary given up. */
  readonly node?: string;
  /** promotionSkipped: why; with `error`, the message of what failed. */
  readonly reason?: string;
  readonly error?: string;
  /** promoted: from taking the locks to the last replica repointed. */
  readonly tookMs?: number;
  /** promoted: whether the new primary waits for replicas as the old one did (`carried`, ...). */
  readonly synchronous?: string;
}

/** What the benches need of a pool: its failover events, whichever driver's pool it is. */
export interface PromotionEmitter {
  on<K extends keyof FailoverEvents>(event: K, listener: (...args: FailoverEvents[K]) => void): unknown;
}

/** Hands every promotion event of `pool` to `sink` as a record of app instance `instance`. */
export function recordPromotionEvents(
  pool: PromotionEmitter,
  instance: number,
  sink: (record: PromotionRecord) => void,
): void {
  const base = (event: PromotionEventName) => ({ instance, event, at: epochMs() });
  pool.on('promotionStarted', (e) => sink({ ...base('promotionStarted'), node: e.from }));
  pool.on('promoted', (e) =>
    sink({ ...base('promoted'), node: e.node, tookMs: e.tookMs, synchronous: e.synchronous }),
  );
  pool.on('promotionSkipped', (e) =>
    sink({
      ...base('promotionSkipped'),
      ...(e.from === null ? {} : { node: e.from }),
      reason: e.reason,
      ...(e.error === undefined
        ? {}
        : { error: e.error instanceof Error ? e.error.message : String(e.error) }),
    }),
  );
  pool.on('repointed', (e) => sink({ ...base('repointed'), node: e.node }));
  pool.on('fenced', (e) => sink({ ...base('fenced'), node: e.node }));
}

/** The promotion events of one trial, counted. */
export interface PromotionTally {
  /** `promoted` events across every instance: exactly 1 is right. */
  promoted: number;
  /** Which instances promoted, and what. */
  promotions: { instance: number; node: string; at: number; tookMs: number; synchronous: string }[];
  started: number;
  repointed: number;
  fenced: number;
  /** `promotionSkipped` by reason (with the error's message for `failed`), over every instance. */
  skipped: Record<string, number>;
}

export function tallyPromotions(records: readonly PromotionRecord[]): PromotionTally {
  const tally: PromotionTally = {
    promoted: 0,
    promotions: [],
    started: 0,
    repointed: 0,
    fenced: 0,
    skipped: {},
  };
  for (const r of records) {
    if (r.event === 'promoted') {
      tally.promoted += 1;
      const { instance, node = '?', at, tookMs = 0, synchronous = '?' } = r;
      tally.promotions.push({ instance, node, at, tookMs, synchronous });
    } else if (r.event === 'promotionStarted') tally.started += 1;
    else if (r.event === 'repointed') tally.repointed += 1;
    else if (r.event === 'fenced') tally.fenced += 1;
    else {
      const key = r.error === undefined ? (r.reason ?? '?') : `${r.reason}: ${r.error.slice(0, 80)}`;
      tally.skipped[key] = (tally.skipped[key] ?? 0) + 1;
    }
  }
  return tally;
}

/** "another-instance-promotes x4, cooling-down x2", most frequent first; "-" when none. */
export function skippedText(skipped: Readonly<Record<string, number>>): string {
  const parts = Object.entries(skipped)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} x${n}`);
  return parts.join(', ') || '-';
}

/** One trial's promotions in a line: "promoted 1 (instance 2 promoted 127.0.0.1:5433 in 180 ms); skipped: ...". */
export function promotionLine(tally: PromotionTally): string {
  const who = tally.promotions.map(
    (p) => `instance ${p.instance} promoted ${p.node} in ${p.tookMs} ms, synchronous: ${p.synchronous}`,
  );
  return `promoted ${tally.promoted}${who.length ? ` (${who.join('; ')})` : ''}; skipped: ${skippedText(tally.skipped)}`;
}
