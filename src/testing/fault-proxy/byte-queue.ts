/**
 * A FIFO of byte chunks that avoids re-concatenating on every push: protocol parsers append
 * socket chunks and take whole messages off the front, copying only what they take.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The first `n` bytes without removing them, or undefined if fewer are queued. */
  peek(n: number): Buffer | undefined {
    if (n > this.size) return undefined;
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.size).subarray(0, n);
  }

  /** Remove and return the first `n` bytes (at most what is queued). */
  take(n: number): Buffer {
    const want = Math.min(n, this.size);
    const first = this.chunks[0];
    if (first && first.length >= want) {
      this.consume(want);
      return first.subarray(0, want);
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < want) {
      const head = this.chunks[0]!;
      const part = head.length <= want - got ? head : head.subarray(0, want - got);
      parts.push(part);
      got += part.length;
      this.consume(part.length);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, got);
  }

  /** Remove and return everything, as the original chunks (no copy). */
  takeAll(): Buffer[] {
    const all = this.chunks;
    this.chunks = [];
    this.size = 0;
    return all;
  }

  private consume(n: number): void {
    let left = n;
    while (left > 0) {
      const head = this.chunks[0]!;
      if (head.length <= left) {
        this.chunks.shift();
        left -= head.length;
      } else {
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.size -= n;
  }
}
