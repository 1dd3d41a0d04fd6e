// One instantiated wasm variant: its exports, the kernel constants it reports, its memory and
// fresh views of it, the allocator, and the scratch arena every call takes its temporaries
// from. Views are re-created only when `memory.grow` has detached the buffer they view.

import { viewLength } from './intrinsics.js';
import { type LazyText, textOf } from './validate.js';

/** The wasm build in use: relaxed-simd, simd128, or scalar. */
export type Variant = 'relaxed' | 'simd128' | 'scalar';

/** The exports of crates/cosinekit-wasm (ABI version 5). Pointers are byte addresses. */
export interface CosinekitExports {
  memory: WebAssembly.Memory;
  ck_abi_version(): number;
  ck_instruction_set(): number;
  ck_query_block(): number;
  ck_corpus_tile(): number;
  ck_tile_rows(): number;
  ck_tile_columns(): number;
  ck_max_rank(): number;
  ck_flag_clamp(): number;
  ck_flag_distance(): number;
  ck_status_text(code: number, outPointer: number, capacity: number): number;
  ck_alloc(byteCount: number): number;
  ck_free(pointer: number): void;
  ck_heap_bytes_in_use(): number;
  ck_cosine_pair_f32(firstPointer: number, secondPointer: number, length: number, eps: number): number;
  ck_cosine_pair_values_f32(
    length: number,
    a0: number,
    a1: number,
    a2: number,
    a3: number,
    a4: number,
    a5: number,
    a6: number,
    a7: number,
    b0: number,
    b1: number,
    b2: number,
    b3: number,
    b4: number,
    b5: number,
    b6: number,
    b7: number,
    eps: number,
  ): number;
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
  ck_cosine_rows_f32(firstPointer: number, secondPointer: number, rows: number, length: number, eps: number, flags: number, outputPointer: number): number;
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
    selfOffset: number,
    path: number,
    indicesPointer: number,
    scoresPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_topk_path(queryRows: number): number;
  ck_pairwise_self_rows_scratch_floats(rows: number, depth: number, rowStart: number, rowCount: number): number;
  ck_pairwise_self_rows_f32(
    aPointer: number,
    rows: number,
    depth: number,
    rowStart: number,
    rowCount: number,
    eps: number,
    scale: number,
    outPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_topk_merge_f32(
    indicesPointer: number,
    scoresPointer: number,
    lists: number,
    queries: number,
    listLength: number,
    offsetsPointer: number,
    k: number,
    excludeSelf: number,
    outIndicesPointer: number,
    outScoresPointer: number,
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
  ck_siglip_scratch_floats(rows: number, depth: number): number;
  ck_siglip_f32(
    imagePointer: number,
    textPointer: number,
    rows: number,
    depth: number,
    logitScale: number,
    logitBias: number,
    imageGradientPointer: number,
    textGradientPointer: number,
    scratchPointer: number,
    scratchFloats: number,
    resultsPointer: number,
  ): number;
  ck_ranking_scratch_floats(anchorRows: number, candidateRows: number, depth: number): number;
  ck_ranking_f32(
    anchorsPointer: number,
    anchorRows: number,
    candidatesPointer: number,
    candidateRows: number,
    depth: number,
    scale: number,
    rowLossesPointer: number,
    anchorGradientPointer: number,
    candidateGradientPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_triplet_f32(
    anchorPointer: number,
    positivePointer: number,
    negativePointer: number,
    rows: number,
    depth: number,
    margin: number,
    rowWeight: number,
    rowLossesPointer: number,
    anchorGradientPointer: number,
    positiveGradientPointer: number,
    negativeGradientPointer: number,
  ): number;
  ck_moco_scratch_floats(rows: number, queueRows: number, depth: number): number;
  ck_moco_f32(
    queryPointer: number,
    keyPointer: number,
    queuePointer: number,
    rows: number,
    queueRows: number,
    depth: number,
    temperature: number,
    rowLossesPointer: number,
    queryGradientPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_supcon_scratch_floats(rows: number, depth: number): number;
  ck_supcon_f32(
    featuresPointer: number,
    rows: number,
    depth: number,
    labelsPointer: number,
    temperature: number,
    baseTemperature: number,
    gradientPointer: number,
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
  ck_status_non_finite(): number;
  ck_status_stale_norms(): number;
  ck_storage_dtype(namePointer: number, nameLength: number): number;
  ck_quant_ranges_f32(xPointer: number, rows: number, depth: number, rangesPointer: number): number;
  ck_quantize_int8_f32(xPointer: number, rows: number, depth: number, rangesPointer: number, dtype: number, outPointer: number): number;
  ck_binary_thresholds_f32(calibrationPointer: number, rows: number, depth: number, outPointer: number): number;
  ck_quantize_binary_f32(xPointer: number, rows: number, depth: number, thresholdsPointer: number, dtype: number, outPointer: number): number;
  ck_quantize_f16_f32(xPointer: number, count: number, outPointer: number): number;
  ck_decode_f16_f32(inPointer: number, count: number, outPointer: number): number;
  ck_rescore_scratch_floats(depth: number): number;
  ck_rescore_f32(
    queriesPointer: number,
    queryRows: number,
    depth: number,
    sourceDtype: number,
    sourcePointer: number,
    sourceRows: number,
    rangesPointer: number,
    candidatesPointer: number,
    candidatesPerQuery: number,
    k: number,
    eps: number,
    outIndicesPointer: number,
    outScoresPointer: number,
    scratchPointer: number,
    scratchFloats: number,
  ): number;
  ck_quantized_norms_bytes(dtype: number, rows: number, depth: number): number;
  ck_quantized_norms(dtype: number, dataPointer: number, rows: number, depth: number, normsPointer: number): number;
  ck_topk_quantized_scratch_bytes(dtype: number, queryRows: number, depth: number): number;
  ck_topk_quantized(
    dtype: number,
    queriesPointer: number,
    queryRows: number,
    corpusPointer: number,
    corpusRows: number,
    depth: number,
    k: number,
    eps: number,
    excludeSelf: number,
    selfOffset: number,
    normsPointer: number,
    indicesPointer: number,
    scoresPointer: number,
    scratchPointer: number,
    scratchBytes: number,
  ): number;
  ck_pairwise_quantized_scratch_bytes(dtype: number, aRows: number, bRows: number, depth: number): number;
  ck_pairwise_quantized(
    dtype: number,
    aPointer: number,
    aRows: number,
    bPointer: number,
    bRows: number,
    depth: number,
    eps: number,
    scale: number,
    outPointer: number,
    scratchPointer: number,
    scratchBytes: number,
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

/** Exports only the full module has: the losses. */
const LOSS_EXPORTS = [
  'ck_infonce_scratch_floats',
  'ck_infonce_f32',
  'ck_clip_scratch_floats',
  'ck_clip_f32',
  'ck_siglip_scratch_floats',
  'ck_siglip_f32',
  'ck_ranking_scratch_floats',
  'ck_ranking_f32',
  'ck_triplet_f32',
  'ck_moco_scratch_floats',
  'ck_moco_f32',
  'ck_supcon_scratch_floats',
  'ck_supcon_f32',
  'ck_cosine_embedding_f32',
] as const satisfies readonly (keyof CosinekitExports)[];

/** Exports only the full module has: the storage formats. */
const STORAGE_EXPORTS = [
  'ck_storage_dtype',
  'ck_quant_ranges_f32',
  'ck_quantize_int8_f32',
  'ck_binary_thresholds_f32',
  'ck_quantize_binary_f32',
  'ck_quantize_f16_f32',
  'ck_decode_f16_f32',
  'ck_rescore_scratch_floats',
  'ck_rescore_f32',
  'ck_quantized_norms_bytes',
  'ck_quantized_norms',
  'ck_topk_quantized_scratch_bytes',
  'ck_topk_quantized',
  'ck_pairwise_quantized_scratch_bytes',
  'ck_pairwise_quantized',
] as const satisfies readonly (keyof CosinekitExports)[];

function exportsAll(exports: CosinekitExports, names: readonly (keyof CosinekitExports)[]): boolean {
  return names.every((name) => typeof exports[name] === 'function');
}

/** The ABI version this package speaks; a module reporting another one is refused. */
export const ABI_VERSION = 5;
const INSTRUCTION_SETS: readonly Variant[] = ['scalar', 'simd128', 'relaxed'];
/** Largest single allocation: Rust limits objects to isize::MAX = 2 GiB - 1 on wasm32. */
const MAX_ALLOCATION_BYTES = 2 ** 31 - 64;
/** All of wasm32 linear memory: 65536 pages of 64 KiB. */
const MAX_MEMORY_BYTES = 2 ** 32;
/**
 * The arena a new instance starts with, and the most it grows to. A call whose temporaries
 * do not fit takes the rest from the heap (and frees it before it returns); the arena then
 * grows to what that call needed, up to the cap, so a loop of equal calls allocates nothing
 * from its second call on.
 */
const ARENA_INITIAL_BYTES = 64 * 1024;
const ARENA_MAX_BYTES = 4 * 1024 * 1024;
/**
 * A mark is `heap blocks taken · MARK_BLOCKS + arena top`: above ARENA_MAX_BYTES, which the top
 * never exceeds, and small enough that a mark stays a small integer for V8 (2^32 made every
 * mark a heap number: about 10 % of a short `cosine` call).
 */
const MARK_BLOCKS = 2 ** 23;

/** Kernel constants, as the loaded module reports them. */
export interface KernelConstants {
  /** Query rows per block of the top-k kernel. */
  queryBlock: number;
  /** Corpus rows per tile of the top-k kernel. */
  corpusTile: number;
  /** Rows of the GEMM micro-tile (the packed A panel). */
  tileRows: number;
  /** Columns of the GEMM micro-tile (the packed B panel). */
  tileColumns: number;
  /** Most strided axes per group `ck_cosine_f32` takes. */
  maxRank: number;
  /** `ck_cosine_f32` flag bits. */
  flagClamp: number;
  flagDistance: number;
  /** The status a kernel returns for a NaN or ±∞ where only finite values are allowed. */
  statusNonFinite: number;
  /** The status a quantised top-k returns when a reported row no longer matches its cached norm. */
  statusStaleNorms: number;
  /** The module's code of each storage dtype (`ck_storage_dtype`); all 0 in a core module, which has none. */
  dtypeCodes: Readonly<Record<StorageDtype, number>>;
}

/** How a quantised (or half-precision) tensor stores its rows. */
export type StorageDtype = 'float16' | 'int8' | 'uint8' | 'binary' | 'ubinary';
/** Every storage dtype, in the order messages list them. */
export const STORAGE_DTYPES: readonly StorageDtype[] = Object.freeze(['float16', 'int8', 'uint8', 'binary', 'ubinary']);

/** What a module without the storage formats reports: no dtype (0) for every name. */
const NO_DTYPE_CODES: Readonly<Record<StorageDtype, number>> = Object.freeze({ float16: 0, int8: 0, uint8: 0, binary: 0, ubinary: 0 });

/** Asks the module for each dtype's code, passing the name's bytes through a scratch block. */
function readDtypeCodes(exports: CosinekitExports): Readonly<Record<StorageDtype, number>> {
  const codes = {} as Record<StorageDtype, number>;
  const encoder = new TextEncoder();
  const pointer = exports.ck_alloc(16) >>> 0;
  if (pointer === 0) throw new RangeError('cosinekit: WASM memory cannot hold 16 bytes');
  try {
    for (const name of STORAGE_DTYPES) {
      const bytes = encoder.encode(name);
      new Uint8Array(exports.memory.buffer, pointer, bytes.length).set(bytes);
      const code = exports.ck_storage_dtype(pointer, bytes.length) >>> 0;
      if (code === 0) throw new Error(`cosinekit: the wasm module does not know the storage dtype ${name}; rebuild the package`);
      codes[name] = code;
    }
  } finally {
    exports.ck_free(pointer);
  }
  return Object.freeze(codes);
}

/** One allocation a call is about to make from the heap. */
export interface PlannedAllocation {
  byteCount: number;
  purpose: LazyText;
}

/** `bytes` rounded up to a multiple of 16 (every arena slot and heap block is 16-aligned). */
export function aligned16(bytes: number): number {
  const rest = bytes % 16;
  return rest === 0 ? bytes : bytes + 16 - rest;
}

export class Runtime {
  readonly exports: CosinekitExports;
  readonly variant: Variant;
  readonly constants: KernelConstants;
  /** Whether the module has the losses' exports (the full module does, the core one not). */
  readonly hasLosses: boolean;
  /** Whether the module has the storage formats' exports (the full module does, the core one not). */
  readonly hasStorageFormats: boolean;
  /** `ck_cosine_pair_f32`, held directly: `cosine` calls it with nothing else in between. */
  readonly cosinePair: CosinekitExports['ck_cosine_pair_f32'];
  /** `ck_cosine_pair_values_f32` (vectors of at most eight elements passed by value), held directly as `cosinePair`. */
  readonly cosinePairValues: CosinekitExports['ck_cosine_pair_values_f32'];
  /** Which of `cosine`'s call sites calls this instance's exports (similarity.ts); −1 until its first `cosine` call. */
  pairCallSite = -1;
  #buffer: ArrayBuffer;
  #floats: Float32Array;
  #words: Uint32Array;
  #ints: Int32Array;
  #doubles: Float64Array;
  #bytes: Uint8Array;
  #halves: Uint16Array;
  /**
   * Live WasmTensor allocations, sorted by address: their starts and ends (bytes). Heap
   * blocks never overlap, so the one tensor that can hold a range is the last that starts at
   * or before it: a binary search, with no allocation, however many tensors live.
   */
  readonly #tensorStarts: number[] = [];
  readonly #tensorEnds: number[] = [];
  #arenaBase = 0;
  #arenaBytes = 0;
  /** Bytes of the arena in use by calls in flight (a stack: calls nest only through user code run during validation). */
  #arenaTop = 0;
  /** Heap blocks taken by calls in flight when the arena was full (a stack, as the arena). */
  readonly #overflowBlocks: number[] = [];
  /** Calls in flight (marks not yet released): more than one only through user code run during validation. */
  #depth = 0;
  /** Scratch bytes the outermost call in flight has reserved, and the most one has. */
  #inFlight = 0;
  #wanted = 0;
  /** What the arena's block adds to the heap's count of bytes in use. */
  #arenaHeapBytes = 0;

  constructor(instance: WebAssembly.Instance) {
    const exports = instance.exports as unknown as CosinekitExports;
    if (typeof exports.ck_abi_version !== 'function' || exports.ck_abi_version() !== ABI_VERSION) {
      throw new Error(`cosinekit: the wasm module's ABI version is not ${ABI_VERSION}; rebuild the package`);
    }
    this.exports = exports;
    const variant = INSTRUCTION_SETS[exports.ck_instruction_set()];
    if (variant === undefined) throw new Error('cosinekit: the wasm module reports an unknown instruction set');
    this.variant = variant;
    this.cosinePair = exports.ck_cosine_pair_f32;
    this.cosinePairValues = exports.ck_cosine_pair_values_f32;
    this.hasLosses = exportsAll(exports, LOSS_EXPORTS);
    this.hasStorageFormats = exportsAll(exports, STORAGE_EXPORTS);
    this.constants = Object.freeze({
      queryBlock: exports.ck_query_block(),
      corpusTile: exports.ck_corpus_tile(),
      tileRows: exports.ck_tile_rows(),
      tileColumns: exports.ck_tile_columns(),
      maxRank: exports.ck_max_rank(),
      flagClamp: exports.ck_flag_clamp(),
      flagDistance: exports.ck_flag_distance(),
      statusNonFinite: exports.ck_status_non_finite(),
      statusStaleNorms: exports.ck_status_stale_norms(),
      dtypeCodes: this.hasStorageFormats ? readDtypeCodes(exports) : NO_DTYPE_CODES,
    });
    const heapBefore = exports.ck_heap_bytes_in_use() >>> 0;
    this.#arenaBase = exports.ck_alloc(ARENA_INITIAL_BYTES) >>> 0;
    if (this.#arenaBase === 0) throw new RangeError('cosinekit: WASM memory cannot hold the scratch arena');
    this.#arenaBytes = ARENA_INITIAL_BYTES;
    this.#arenaHeapBytes = (exports.ck_heap_bytes_in_use() >>> 0) - heapBefore;
    this.#buffer = exports.memory.buffer;
    this.#floats = new Float32Array(this.#buffer);
    this.#words = new Uint32Array(this.#buffer);
    this.#ints = new Int32Array(this.#buffer);
    this.#doubles = new Float64Array(this.#buffer);
    this.#bytes = new Uint8Array(this.#buffer);
    this.#halves = new Uint16Array(this.#buffer);
  }

  /**
   * Re-creates the views if memory grew since the last call. Growing detaches the old
   * buffer, and a view of a detached buffer has length 0: checking that through the
   * intrinsic getter costs a few nanoseconds, where `memory.buffer` is a call into the engine.
   */
  #refresh(): void {
    if (viewLength(this.#floats) === 0) {
      this.#buffer = this.exports.memory.buffer;
      this.#floats = new Float32Array(this.#buffer);
      this.#words = new Uint32Array(this.#buffer);
      this.#ints = new Int32Array(this.#buffer);
      this.#doubles = new Float64Array(this.#buffer);
      this.#bytes = new Uint8Array(this.#buffer);
      this.#halves = new Uint16Array(this.#buffer);
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

  /**
   * The buffer the views of the last {@link floats} (or bytes, …) call were made from, without
   * checking it again: memory's buffer as long as nothing has run since that could grow it.
   */
  get viewedBuffer(): ArrayBuffer {
    return this.#buffer;
  }

  /** Views of all of memory, re-created if memory grew since they were made. */
  floats(): Float32Array {
    this.#refresh();
    return this.#floats;
  }

  bytes(): Uint8Array {
    this.#refresh();
    return this.#bytes;
  }

  halves(): Uint16Array {
    this.#refresh();
    return this.#halves;
  }

  words(): Uint32Array {
    this.#refresh();
    return this.#words;
  }

  ints(): Int32Array {
    this.#refresh();
    return this.#ints;
  }

  doubles(): Float64Array {
    this.#refresh();
    return this.#doubles;
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
   * Throws the RangeError the heap allocations of one call would end in, before any of them
   * is made (so memory does not grow for a call that cannot succeed): one is larger than an
   * allocation may be, or together with what is already allocated they exceed wasm32 memory.
   */
  checkAllocations(planned: readonly PlannedAllocation[]): void {
    let total = this.exports.ck_heap_bytes_in_use() >>> 0;
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

  /** Allocates `byteCount` bytes from the heap (16-aligned); RangeError when memory cannot hold them. */
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

  // ---- the scratch arena ----

  /**
   * Where the arena and the heap blocks stand now: pass it to {@link release} in the `finally`
   * of the call that takes scratch. It records both the arena's top and how many heap blocks
   * are taken, so a nested call's release frees only what the nested call took.
   */
  mark(): number {
    this.#depth++;
    return this.#overflowBlocks.length * MARK_BLOCKS + this.#arenaTop;
  }

  /**
   * `byteCount` bytes of scratch (16-aligned) until the {@link release} of an earlier mark.
   * From the arena when they fit (no allocation, so memory cannot grow and no view detaches),
   * else from the heap.
   */
  reserve(byteCount: number, purpose: LazyText): number {
    const size = aligned16(byteCount);
    const top = this.#arenaTop;
    if (size <= this.#arenaBytes - top) {
      this.#arenaTop = top + size;
      this.#note(size);
      return this.#arenaBase + top;
    }
    const pointer = this.alloc(size, purpose);
    this.#overflowBlocks.push(pointer);
    this.#note(size);
    return pointer;
  }

  #note(size: number): void {
    this.#inFlight += size;
    if (this.#inFlight > this.#wanted) this.#wanted = this.#inFlight;
  }

  /**
   * The arena's top, when `byteCount` bytes fit above it, without taking them (0 when they do
   * not): for a call that runs no user code before its kernel returns, so nothing else can
   * take them meanwhile.
   */
  arenaTopFor(byteCount: number): number {
    return byteCount <= this.#arenaBytes - this.#arenaTop ? this.#arenaBase + this.#arenaTop : 0;
  }

  /** Bytes the arena can still hand out without touching the heap. */
  arenaFree(): number {
    return this.#arenaBytes - this.#arenaTop;
  }

  /** Frees every scratch block reserved since `mark` was taken (LIFO). */
  release(mark: number): void {
    const blocks = this.#overflowBlocks;
    const keep = Math.floor(mark / MARK_BLOCKS);
    while (blocks.length > keep) this.exports.ck_free(blocks.pop() as number);
    this.#arenaTop = mark % MARK_BLOCKS;
    this.#depth--;
    if (this.#depth === 0) this.#inFlight = 0;
  }

  /**
   * Grows the arena to what earlier calls wanted, when nothing is in it: the outermost call
   * in flight, once its arguments are validated (`execute`) and before it takes any scratch,
   * so memory can grow only where a call may grow it anyway, never in a caller's `finally`
   * (where it would detach a result view just handed out).
   */
  growIfWanted(): void {
    if (this.#depth === 1 && this.#arenaTop === 0 && this.#overflowBlocks.length === 0 && this.#wanted > this.#arenaBytes && this.#arenaBytes < ARENA_MAX_BYTES) {
      this.#growArena();
    }
  }

  /** Replaces the arena (empty now) by one of the size the last calls wanted, up to the cap. */
  #growArena(): void {
    let size = Math.max(this.#arenaBytes, ARENA_INITIAL_BYTES);
    while (size < this.#wanted && size < ARENA_MAX_BYTES) size *= 2;
    this.exports.ck_free(this.#arenaBase);
    const heapBefore = this.exports.ck_heap_bytes_in_use() >>> 0;
    let pointer = this.exports.ck_alloc(size) >>> 0;
    if (pointer === 0) {
      // Memory cannot grow: take back an arena of the old size (its block was just freed).
      size = this.#arenaBytes;
      pointer = this.exports.ck_alloc(size) >>> 0;
    }
    this.#arenaBase = pointer;
    this.#arenaBytes = pointer === 0 ? 0 : size;
    this.#arenaHeapBytes = (this.exports.ck_heap_bytes_in_use() >>> 0) - heapBefore;
  }

  // ---- tensors ----

  /** Records a WasmTensor's allocation (zero-copy is allowed only inside these). */
  trackTensor(pointer: number, byteLength: number): void {
    const at = this.#lastStartingAtOrBefore(pointer) + 1;
    this.#tensorStarts.splice(at, 0, pointer);
    this.#tensorEnds.splice(at, 0, pointer + byteLength);
  }

  untrackTensor(pointer: number): void {
    const at = this.#lastStartingAtOrBefore(pointer);
    if (at >= 0 && this.#tensorStarts[at] === pointer) {
      this.#tensorStarts.splice(at, 1);
      this.#tensorEnds.splice(at, 1);
    }
  }

  /** Index of the last tracked tensor whose start is at most `address` (−1 for none). */
  #lastStartingAtOrBefore(address: number): number {
    const starts = this.#tensorStarts;
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((starts[middle] as number) <= address) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  /** Whether [byteOffset, byteOffset + byteLength) lies inside one live WasmTensor. */
  insideLiveTensor(byteOffset: number, byteLength: number): boolean {
    const at = this.#lastStartingAtOrBefore(byteOffset);
    return at >= 0 && byteOffset + byteLength <= (this.#tensorEnds[at] as number);
  }

  /** Bytes allocated from the wasm heap for WasmTensors and calls in flight (the arena is not counted). */
  heapBytesInUse(): number {
    return (this.exports.ck_heap_bytes_in_use() >>> 0) - this.#arenaHeapBytes;
  }

  /** The module's own description of a status code. */
  statusText(status: number): string {
    const mark = this.mark();
    try {
      const capacity = 256;
      const pointer = this.reserve(capacity, 'a status text');
      const length = this.exports.ck_status_text(status, pointer, capacity) >>> 0;
      if (length === 0) return `status ${status}`;
      const bytes = new Uint8Array(this.buffer, pointer, Math.min(length, capacity)).slice();
      return new TextDecoder().decode(bytes);
    } finally {
      this.release(mark);
    }
  }

  /** Throws if a kernel returned a non-zero status (a validation gap: never expected). */
  check(status: number, kernel: string): void {
    if (status !== 0) {
      throw new Error(
        `cosinekit internal error: ${kernel} refused its arguments (${this.statusText(status)}); please report this with the call's shapes`,
      );
    }
  }
}
