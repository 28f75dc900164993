import { sleep } from '../lib/time';

/**
 * What the bench reads from the servers, whatever the engine: per node, cumulative counts of the app
 * account's statements (its probes among them), and the arrival times of the app's new connections.
 */
export interface StatementCounts {
  /** The monitor's probe statements. */
  readonly probes: number;
  /** Every statement the app's account ran there (the probes, the writes). */
  readonly statements: number;
}

export interface ServerCounters {
  /** How they are counted, for the report. */
  readonly method: string;
  read(node: string): Promise<StatementCounts>;
  /** Samples `nodes` every 100 ms until stopped; then the app's connections on each. */
  watchConnections(nodes: readonly string[]): Promise<{ stop(): Promise<Map<string, Sessions>> }>;
}

/** The app account's sessions on one node while it was watched. */
export interface Sessions {
  /** When each new one appeared, epoch ms. */
  readonly arrivals: number[];
  /** How many there were at the first sample and at the last. */
  first: number | undefined;
  last: number | undefined;
}

export const noSessions = (): Sessions => ({ arrivals: [], first: undefined, last: undefined });

/** Notes one sample's count of sessions. */
export function counted(sessions: Sessions, count: number): void {
  sessions.first ??= count;
  sessions.last = count;
}

export const SAMPLE_EVERY_MS = 100;

/**
 * Runs `sample` every SAMPLE_EVERY_MS until stopped (a sample that fails, on a node going away, is
 * skipped), then closes what it used. The engines' connection watches are made of it.
 */
export function sampleEvery(
  sample: () => Promise<void>,
  close: () => Promise<void>,
): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await sample().catch(() => undefined);
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await close().catch(() => undefined);
    },
  };
}
