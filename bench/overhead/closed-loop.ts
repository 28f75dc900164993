import { percentileOfSorted } from '../lib/stats';
import type { Runner } from './subjects';
import type { Workload } from './workloads';

export interface PhaseResult {
  /** Statements per second. */
  throughput: number;
  /** Microseconds. */
  p50Us: number;
  p99Us: number;
  ops: number;
  /**
   * Node.js CPU time (user + system, every thread of this process) per statement, microseconds:
   * what the client side costs, which throughput on a machine shared with the servers only hints at.
   */
  cpuUsPerOp: number;
}

/** A shared counter so that inserts from either side, in any phase, never reuse an id. */
let nextCall = 1;

/**
 * `callers` concurrent callers, each running the workload back to back for `durationMs` (a closed
 * loop: the rate is whatever the pool sustains). Latency is per call, queueing for a pooled
 * connection included, as the app sees it.
 */
export async function runPhase(
  runner: Runner,
  workload: Workload,
  sql: string,
  callers: number,
  durationMs: number,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationMs;
  const caller = async () => {
    while (performance.now() < deadline) {
      const params = workload.params(nextCall++);
      const t0 = performance.now();
      await runner.query(sql, params);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    cpuUsPerOp: (cpu.user + cpu.system) / latencies.length,
    throughput: (latencies.length / elapsed) * 1000,
    p50Us: percentileOfSorted(latencies, 50) * 1000,
    p99Us: percentileOfSorted(latencies, 99) * 1000,
    ops: latencies.length,
  };
}
