/** What the test and an app-instance child (app-instance-child.ts) say to each other. */

export interface ChildConfig {
  readonly engine: 'postgresql' | 'mariadb';
  /** createPgPool / createMysqlPromisePool options, promotion included. */
  readonly options: Record<string, unknown>;
  /** Whether to write, and the first id of this instance's inserts (each instance has its own range). */
  readonly write: boolean;
  readonly idBase: number;
  readonly pauseMs: number;
  /**
   * Kill this process (SIGKILL) right after it promoted a replica, before it repoints the others: a
   * promoter that dies half-way. Done by wrapping the engine's promote step in this process only.
   */
  readonly dieAfterPromoting?: boolean;
}

/** The pool events a child passes on. */
export const REPORTED_EVENTS = [
  'promotionStarted',
  'promoted',
  'promotionSkipped',
  'repointed',
  'fenced',
  'primaryChanged',
  'primaryLost',
] as const;

export type ReportedEvent = (typeof REPORTED_EVENTS)[number];

export type ChildMessage =
  | { readonly type: 'ready'; readonly primary: string }
  | { readonly type: 'primary'; readonly primary: string | null }
  | {
      readonly type: 'event';
      readonly name: ReportedEvent;
      readonly payload: Record<string, unknown>;
      /** The pool's primary right after the event. */
      readonly primary: string | null;
    }
  | { readonly type: 'done'; readonly acked: number[]; readonly errors: Record<string, number> };
