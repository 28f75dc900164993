/**
 * The active faults of one proxy, and the questions a connection asks about them: "what
 * latency applies to my bytes going to the server right now?" and so on.
 *
 * Scope: every fault remembers the id of the last connection accepted before it was set.
 * Connection ids increase, so `existing` = id <= that mark, `new` = id > that mark.
 */
import type { FaultDirection, FaultScope } from './types';

export type Direction = 'toServer' | 'toClient';
export type CloseHow = 'close' | 'reset';

interface BaseFault {
  scope: FaultScope;
  /** Id of the last connection accepted before the fault was set. */
  mark: number;
  active: boolean;
}

export interface LatencyFault extends BaseFault {
  kind: 'latency';
  ms: number;
  jitterMs: number;
  direction: FaultDirection;
}

export interface BandwidthFault extends BaseFault {
  kind: 'bandwidth';
  bytesPerSec: number;
  direction: FaultDirection;
}

export interface BlackholeFault extends BaseFault {
  kind: 'blackhole';
  direction: FaultDirection;
}

export interface SliceFault extends BaseFault {
  kind: 'sliceWrites';
  direction: FaultDirection;
  gapMs: number;
}

export interface CloseAfterFault extends BaseFault {
  kind: 'closeAfter';
  bytes: number;
  direction: FaultDirection;
  how: CloseHow;
}

export interface CutFault extends BaseFault {
  kind: 'cutOn';
  matches: (sql: string) => boolean;
  when: 'before' | 'after';
  times: number;
  cuts: number;
  replyWaitMs: number;
  how: CloseHow;
}

export interface ResetFault extends BaseFault {
  kind: 'reset';
  resets: number;
}

export type Fault =
  | LatencyFault
  | BandwidthFault
  | BlackholeFault
  | SliceFault
  | CloseAfterFault
  | CutFault
  | ResetFault;

/** The faults that act on bytes in one direction. */
type DirectedFault = Extract<Fault, { direction: FaultDirection }>;

export function inScope(fault: BaseFault, connectionId: number): boolean {
  if (!fault.active) return false;
  switch (fault.scope) {
    case 'all':
      return true;
    case 'new':
      return connectionId > fault.mark;
    case 'existing':
      return connectionId <= fault.mark;
  }
}

function covers(faultDirection: FaultDirection, direction: Direction): boolean {
  return faultDirection === 'both' || faultDirection === direction;
}

export class FaultSet {
  private faults: Fault[] = [];

  add(fault: Fault): void {
    this.faults.push(fault);
  }

  remove(fault: Fault): void {
    fault.active = false;
    this.faults = this.faults.filter((f) => f !== fault);
  }

  removeAll(): Fault[] {
    const all = this.faults;
    for (const f of all) f.active = false;
    this.faults = [];
    return all;
  }

  /** The faults of `kind` that apply to bytes of connection `id` going `direction`, in the order they were set. */
  private applying<Kind extends DirectedFault['kind']>(
    kind: Kind,
    id: number,
    direction: Direction,
  ): Extract<DirectedFault, { kind: Kind }>[] {
    return this.faults.filter(
      (f): f is Extract<DirectedFault, { kind: Kind }> =>
        f.kind === kind && inScope(f, id) && covers(f.direction, direction),
    );
  }

  /** Sum of the latencies that apply (several latency faults add up, as links in series). */
  latency(id: number, direction: Direction): { ms: number; jitterMs: number } {
    const delays = this.applying('latency', id, direction);
    return {
      ms: delays.reduce((sum, f) => sum + f.ms, 0),
      jitterMs: delays.reduce((sum, f) => sum + f.jitterMs, 0),
    };
  }

  /** The narrowest bandwidth limit that applies, if any. */
  bandwidth(id: number, direction: Direction): number | undefined {
    const limits = this.applying('bandwidth', id, direction).map((f) => f.bytesPerSec);
    return limits.length === 0 ? undefined : Math.min(...limits);
  }

  blackholed(id: number, direction: Direction): boolean {
    return this.applying('blackhole', id, direction).length > 0;
  }

  /** The gap between fragments if writes are sliced (the largest gap that applies). */
  sliceGap(id: number, direction: Direction): number | undefined {
    const gaps = this.applying('sliceWrites', id, direction).map((f) => f.gapMs);
    return gaps.length === 0 ? undefined : Math.max(...gaps);
  }

  closeAfter(id: number, direction: Direction): CloseAfterFault[] {
    return this.applying('closeAfter', id, direction);
  }

  /** The first cut rule, in the order they were set, that is not used up and matches `sql`. */
  cutFor(id: number, sql: string): CutFault | undefined {
    for (const f of this.faults) {
      if (f.kind === 'cutOn' && inScope(f, id) && f.cuts < f.times && f.matches(sql)) return f;
    }
    return undefined;
  }

  hasCutRules(): boolean {
    return this.faults.some((f) => f.kind === 'cutOn');
  }

  /** A reset fault that applies to a newly accepted connection, if any. */
  resetForNew(id: number): ResetFault | undefined {
    for (const f of this.faults) {
      if (f.kind === 'reset' && f.scope !== 'existing' && inScope(f, id)) return f;
    }
    return undefined;
  }
}
