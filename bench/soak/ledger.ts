/**
 * What the soak's writers did, kept off the JavaScript heap: one byte per id in typed-array chunks
 * (their memory is outside the V8 heap), so that recording a million writes does not itself look
 * like a leak in the heap figure the soak watches. Ids are issued in order from 1.
 */
const CHUNK_IDS = 1 << 20;
const ACKED = 1;

export class WriteLedger {
  private readonly chunks: Uint8Array[] = [];
  private nextId = 1;
  acked = 0;
  /** Errors by code since the last `takeWindow()`, and in all. */
  private windowErrors = new Map<string, number>();
  readonly errors = new Map<string, number>();
  private lastAckAt: number | undefined;
  private windowMaxGapMs = 0;

  /** The next unique id to insert. */
  issue(): number {
    return this.nextId++;
  }

  /** Ids issued so far are 1 .. issued. */
  get issued(): number {
    return this.nextId - 1;
  }

  ack(id: number, at: number): void {
    const chunk = Math.floor(id / CHUNK_IDS);
    while (this.chunks.length <= chunk) this.chunks.push(new Uint8Array(CHUNK_IDS));
    (this.chunks[chunk] as Uint8Array)[id % CHUNK_IDS] = ACKED;
    this.acked++;
    if (this.lastAckAt !== undefined)
      this.windowMaxGapMs = Math.max(this.windowMaxGapMs, at - this.lastAckAt);
    this.lastAckAt = at;
  }

  fail(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    this.windowErrors.set(code, (this.windowErrors.get(code) ?? 0) + 1);
  }

  isAcked(id: number): boolean {
    return this.chunks[Math.floor(id / CHUNK_IDS)]?.[id % CHUNK_IDS] === ACKED;
  }

  /** Which ids in [from, to) are acknowledged now (index 0 is `from`): a copy, later acks do not change it. */
  ackedSnapshot(from: number, to: number): Uint8Array {
    const copy = new Uint8Array(to - from);
    for (let id = from; id < to; id++) if (this.isAcked(id)) copy[id - from] = ACKED;
    return copy;
  }

  /** Errors and the longest gap between acknowledgements since the last call; starts a new window. */
  takeWindow(): { errors: Map<string, number>; maxGapMs: number } {
    const window = { errors: this.windowErrors, maxGapMs: this.windowMaxGapMs };
    this.windowErrors = new Map();
    this.windowMaxGapMs = 0;
    return window;
  }
}
