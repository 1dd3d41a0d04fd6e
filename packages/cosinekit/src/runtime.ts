// One instantiated wasm variant: its exports, its memory, fresh views of that memory, the
// allocator, and per-call scratch. Views are re-created whenever `memory.buffer` has been
// replaced by `memory.grow`, so no caller ever holds a stale one across an allocation.

import { viewLength } from './intrinsics.js';
import { type LazyText, textOf } from './shapes.js';

/** The wasm build in use: relaxed-simd, simd128, or scalar. */
export type Variant = 'relaxed' | 'simd128' | 'scalar';

/** The exports of crates/cosinekit-wasm (ABI version 1). Pointers are byte addresses. */
export interface CosinekitExports {
  memory: WebAssembly.Memory;
  ck_abi_version(): number;
  ck_instruction_set(): number;
  ck_alloc(byteCount: number): number;
  ck_free(pointer: number): void;
  ck_heap_bytes_in_use(): number;
  ck_cosine_f32(
    firstPointer: number,
    firstLength: number,
    secondPointer: number,
    secondLength: number,
    geometryPointer: number,
    keptRank: number,
    reducedRank: number,
    eps: number,
    flags: number,
    outputPointer: number,
    outputLength: number,
  ): number;
  ck_pairwise_scratch_floats(aRows: number, bRows: number, depth: number): number;
  ck_pairwise_cosine_f32(
    aPointer: number,
    bPointer: number,
    batch: number,
    aRows: number,
    bRows: number,
    depth: number,
    eps: number,
    scale: number,
    outPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_mean_cosine_f32(
    aPointer: number,
    aRows: number,
    bPointer: number,
    bRows: number,
    depth: number,
    eps: number,
    sumsPointer: number,
    resultPointer: number,
  ): number;
  ck_topk_scratch_floats(queries: number, depth: number): number;
  ck_topk_cosine_f32(
    queriesPointer: number,
    queryRows: number,
    corpusPointer: number,
    corpusRows: number,
    depth: number,
    k: number,
    eps: number,
    excludeSelf: number,
    indicesPointer: number,
    scoresPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_infonce_scratch_floats(rows: number, depth: number): number;
  ck_infonce_f32(
    featuresPointer: number,
    rows: number,
    depth: number,
    temperature: number,
    layout: number,
    rowWeight: number,
    rowLossesPointer: number,
    gradientPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_clip_scratch_floats(rows: number, depth: number): number;
  ck_clip_f32(
    imagePointer: number,
    textPointer: number,
    rows: number,
    depth: number,
    logitScale: number,
    imageGradientPointer: number,
    textGradientPointer: number,
    scratchPointer: number,
    scratchFloats: number,
    widePointer: number,
    resultsPointer: number,
  ): number;
  ck_cosine_embedding_f32(
    firstPointer: number,
    secondPointer: number,
    rows: number,
    depth: number,
    targetsPointer: number,
    margin: number,
    rowLossesPointer: number,
  ): number;
  ck_normalize_f32(
    inputPointer: number,
    outputPointer: number,
    outer: number,
    reduced: number,
    inner: number,
    orderCode: number,
    eps: number,
  ): number;
}

export const ABI_VERSION = 1;
const INSTRUCTION_SETS: readonly Variant[] = ['scalar', 'simd128', 'relaxed'];
/** Largest single allocation: Rust limits objects to isize::MAX = 2 GiB - 1 on wasm32. */
const MAX_ALLOCATION_BYTES = 2 ** 31 - 64;
/** All of wasm32 linear memory: 65536 pages of 64 KiB. */
const MAX_MEMORY_BYTES = 2 ** 32;

/** One allocation a call is about to make. */
export interface PlannedAllocation {
  byteCount: number;
  purpose: LazyText;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'an index past the end of an operand',
  2: 'an output of the wrong length',
  3: 'too many dimensions',
  4: 'an invalid argument',
  5: 'a malformed geometry',
  16: 'a bad pointer',
  17: 'a length overflowing memory',
  18: 'an output overlapping an input',
};

export class Runtime {
  readonly exports: CosinekitExports;
  readonly variant: Variant;
  #buffer: ArrayBuffer;
  #floatView: Float32Array;
  #wordView: Uint32Array;
  /** Live WasmTensor allocations: pointer → byte length. */
  readonly #liveTensors = new Map<number, number>();

  constructor(instance: WebAssembly.Instance) {
    const exports = instance.exports as unknown as CosinekitExports;
    if (typeof exports.ck_abi_version !== 'function' || exports.ck_abi_version() !== ABI_VERSION) {
      throw new Error(`cosinekit: the wasm module's ABI version is not ${ABI_VERSION}; rebuild the package`);
    }
    this.exports = exports;
    const variant = INSTRUCTION_SETS[exports.ck_instruction_set()];
    if (variant === undefined) throw new Error('cosinekit: the wasm module reports an unknown instruction set');
    this.variant = variant;
    this.#buffer = exports.memory.buffer;
    this.#floatView = new Float32Array(this.#buffer);
    this.#wordView = new Uint32Array(this.#buffer);
  }

  /**
   * Re-creates the views if memory grew since the last call. Growing detaches the old
   * buffer, and a view of a detached buffer has length 0: checking that (through the
   * intrinsic getter) is a few nanoseconds, where `memory.buffer` is a call into the engine
   * each time, and comparing a view's `buffer` with it costs ten times more.
   */
  #refresh(): void {
    if (viewLength(this.#floatView) === 0) {
      this.#buffer = this.exports.memory.buffer;
      this.#floatView = new Float32Array(this.#buffer);
      this.#wordView = new Uint32Array(this.#buffer);
    }
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Memory's current buffer (the one `memory.buffer` would return). */
  get buffer(): ArrayBuffer {
    this.#refresh();
    return this.#buffer;
  }

  /** A float32 view of all of memory, re-created if memory grew since the last call. */
  floats(): Float32Array {
    this.#refresh();
    return this.#floatView;
  }

  /** A uint32 view of all of memory, re-created if memory grew since the last call. */
  words(): Uint32Array {
    this.#refresh();
    return this.#wordView;
  }

  /** RangeError unless `byteCount` is a size one allocation can have. */
  #checkSize(byteCount: number, purpose: LazyText): void {
    if (!Number.isSafeInteger(byteCount) || byteCount < 0) {
      throw new RangeError(`cannot allocate ${byteCount} bytes for ${textOf(purpose)}: not a byte count`);
    }
    if (byteCount > MAX_ALLOCATION_BYTES) {
      throw new RangeError(
        `cannot allocate ${byteCount} bytes for ${textOf(purpose)}: one WASM allocation holds at most ${MAX_ALLOCATION_BYTES} bytes`,
      );
    }
  }

  /**
   * Throws the RangeError the allocations of one call would end in, before any of them is
   * made (so memory does not grow for a call that cannot succeed): one is larger than an
   * allocation may be, or together with what is already allocated they exceed wasm32 memory.
   */
  checkAllocations(planned: readonly PlannedAllocation[]): void {
    let total = this.heapBytesInUse();
    for (const { byteCount, purpose } of planned) {
      this.#checkSize(byteCount, purpose);
      total += byteCount;
    }
    if (total > MAX_MEMORY_BYTES) {
      const parts = planned.filter(({ byteCount }) => byteCount > 0).map(({ byteCount, purpose }) => `${byteCount} for ${textOf(purpose)}`);
      throw new RangeError(
        `this call needs ${parts.join(' + ')} bytes on top of the ${this.heapBytesInUse()} already allocated: ` +
          `more than the ${MAX_MEMORY_BYTES} bytes of wasm32 memory (nothing was allocated or written)`,
      );
    }
  }

  /** Allocates `byteCount` bytes (16-aligned); RangeError when memory cannot hold them. */
  alloc(byteCount: number, purpose: LazyText): number {
    this.#checkSize(byteCount, purpose);
    const pointer = this.exports.ck_alloc(byteCount) >>> 0;
    if (pointer === 0) {
      throw new RangeError(
        `cannot allocate ${byteCount} bytes for ${textOf(purpose)}: WASM memory is ${this.exports.memory.buffer.byteLength} bytes ` +
          `and the engine refused to grow it further (nothing already allocated was affected)`,
      );
    }
    return pointer;
  }

  free(pointer: number): void {
    this.exports.ck_free(pointer);
  }

  /** Records a WasmTensor's allocation (zero-copy is allowed only inside these). */
  trackTensor(pointer: number, byteLength: number): void {
    this.#liveTensors.set(pointer, byteLength);
  }

  untrackTensor(pointer: number): void {
    this.#liveTensors.delete(pointer);
  }

  /** Whether [byteOffset, byteOffset + byteLength) lies inside one live WasmTensor. */
  insideLiveTensor(byteOffset: number, byteLength: number): boolean {
    for (const [pointer, length] of this.#liveTensors) {
      if (byteOffset >= pointer && byteOffset + byteLength <= pointer + length) return true;
    }
    return false;
  }

  /** Bytes currently allocated from the wasm heap (for leak checks). */
  heapBytesInUse(): number {
    return this.exports.ck_heap_bytes_in_use() >>> 0;
  }

  /** Throws if a kernel returned a non-zero status (a validation gap: never expected). */
  check(status: number, kernel: string): void {
    if (status !== 0) {
      const reason = STATUS_NAMES[status] ?? `status ${status}`;
      throw new Error(`cosinekit internal error: ${kernel} refused its arguments (${reason}); please report this with the call's shapes`);
    }
  }
}

/** Allocations of one API call, all released in `finally` by `release()`. */
export class Scratch {
  readonly #runtime: Runtime;
  readonly #pointers: number[] = [];

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  alloc(byteCount: number, purpose: LazyText): number {
    const pointer = this.#runtime.alloc(byteCount, purpose);
    this.#pointers.push(pointer);
    return pointer;
  }

  release(): void {
    for (const pointer of this.#pointers) this.#runtime.free(pointer);
    this.#pointers.length = 0;
  }
}
