// SharedArrayBuffers for the copies of a call's inputs, reused by later calls.

/** Most bytes of input copies kept for reuse between calls. */
const ARENA_BYTES = 512 * 2 ** 20;

/**
 * SharedArrayBuffers for the copies of a call's inputs, reused by later calls. Fresh memory
 * is paid for in page faults when it is first written (about 1 ms per MB on a small VM, as
 * much as the copy itself ten times over); results are always fresh (the caller keeps them).
 * Sizes are rounded up to one of 8 classes per power of two, so a repeated shape reuses its
 * buffer; at most ARENA_BYTES are kept between calls.
 */
export class SharedArena {
  readonly #free: SharedArrayBuffer[] = [];
  #freeBytes = 0;

  static sizeClass(bytes: number): number {
    const step = 2 ** Math.max(12, Math.floor(Math.log2(Math.max(bytes, 1))) - 3);
    return Math.ceil(bytes / step) * step;
  }

  take(bytes: number): SharedArrayBuffer {
    const size = SharedArena.sizeClass(bytes);
    const index = this.#free.findIndex((buffer) => buffer.byteLength === size);
    if (index < 0) return new SharedArrayBuffer(size);
    const [buffer] = this.#free.splice(index, 1) as [SharedArrayBuffer];
    this.#freeBytes -= size;
    return buffer;
  }

  give(buffers: readonly SharedArrayBuffer[]): void {
    for (const buffer of buffers) {
      this.#free.push(buffer);
      this.#freeBytes += buffer.byteLength;
    }
    while (this.#freeBytes > ARENA_BYTES) this.#freeBytes -= (this.#free.shift() as SharedArrayBuffer).byteLength;
  }

  clear(): void {
    this.#free.length = 0;
    this.#freeBytes = 0;
  }
}
