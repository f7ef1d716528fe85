// Frame buffers in shared memory, recycled. A frame's rgb24 bytes must live in a SharedArrayBuffer
// for the pixel pool's threads to read and write them in place; allocating 6 MB of shared memory
// per 1080p frame would cost more than it saves, so the decoder takes buffers from here and the
// encoder sink gives them back once the pipe has taken them. The flow gate bounds how many are out
// at once, so the free list never grows past the gate's limit.

export class FrameBuffers {
  private readonly free: Buffer[] = [];
  /** Buffers made so far (a figure for tests: it stops growing once the gate is full). */
  created = 0;

  constructor(readonly bytes: number) {}

  /** A buffer of `bytes` bytes over shared memory: a recycled one when there is one. */
  take(): Buffer {
    const b = this.free.pop();
    if (b) return b;
    this.created++;
    return Buffer.from(new SharedArrayBuffer(this.bytes));
  }

  /** Hand a buffer back once nothing reads it any more; others (wrong size, not shared) are left to the GC. */
  give(b: Uint8Array): void {
    if (b.byteLength === this.bytes && b.byteOffset === 0 && b.buffer instanceof SharedArrayBuffer) {
      this.free.push(b instanceof Buffer ? b : Buffer.from(b.buffer, 0, this.bytes));
    }
  }
}

/** True when `a` lives in shared memory (a pixel pool thread can see it). */
export function isShared(a: ArrayBufferView): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** A Float32Array of `n` elements over new shared memory. */
export function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}
