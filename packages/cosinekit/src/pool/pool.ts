// A pool of worker threads for the [N,D]×[M,D] family: pairwiseCosine, pairwiseCosineBlocks
// and topK, async, split across workers by rows of A (queries) — or, for few queries, by
// slices of the corpus, merged by the kernels' merge (ck_topk_merge_f32). Every worker runs
// its own instance of the variant the calling thread chose; every chunk runs the kernel path
// the single-thread call runs for the same rows (see plans.ts), so results are bitwise equal
// to the single-thread functions.
//
// Data: the corpus (B) is copied once into every worker's wasm memory and stays there for
// the call — or, with `setCorpus`, until its handle is released (corpora.ts). Rows of A and
// the results live in SharedArrayBuffers where the platform can post them (Node,
// cross-origin-isolated pages), so nothing is structured-cloned; elsewhere chunks travel as
// transferred buffers. Arguments are validated on the calling thread first, with the
// single-thread functions' rules and messages; jobs below `parallelThreshold` multiply-adds
// run on the calling thread, where a round trip to the workers would cost more than it saves.

import { asyncDisposeKey } from '../disposable.js';
import { typedArrayBufferGetter, typedArrayByteOffsetGetter, typedArrayLengthGetter, typedArrayTagGetter } from '../intrinsics.js';
import { Cosinekit } from '../kit.js';
import { type PairwiseBlock, type PairwiseBlocksOptions, type TopKOptions, type TopKResult, type TopKSlice, mergeTopK } from '../pairwise.js';
import {
  type QuantizedData,
  type QuantizedLike,
  type QuantizedSnapshot,
  type QuantizedTopKOptions,
  type QuantizedTopKPlan,
  QuantizedTensor,
  planQuantizedTopK,
  readQuantized,
  RESCORE_OPTIONS,
  TOPK_OPTIONS as QUANTIZED_TOPK_OPTIONS,
  elementBytesOf,
  rescoreCandidates,
  rowElements,
  storedArray,
} from '../quantized.js';
import { POOL_FAMILIES } from './families.js';
import type { Runtime, StorageDtype, Variant } from '../runtime.js';
import { type Tensor, type TensorLike, type WasmTensor, WasmTensor as WasmTensorClass, operand } from '../tensor.js';
import {
  type ShapedOperand,
  blockRowsFor,
  booleanOption,
  checkOptions,
  checkPairwiseResult,
  checkSecondOperand,
  checkTopK,
  finiteOption,
  formatShape,
  isQuantizedValue,
  nonNegativeOption,
  pairSizes,
} from '../validate.js';
import { SharedArena } from './arena.js';
import { type CorpusData, type CorpusHandleImpl, type CorpusRecord, CorpusRegistry, CorpusHandleImpl as HandleClass, isHandle, recordOf, snapshotOf } from './corpora.js';
import { type Tiling, pairwiseChunkRows, pairwiseColumnSlice, pieces, topKQueryChunkRows, topKSliceRows, topKSplit } from './plans.js';
import type { WorkerFactory } from './platform.js';
import { type Chunk, type Job, Scheduler } from './scheduler.js';
import type { CorpusHandle, Pool, PoolPairwiseOptions } from './types.js';

function isSharedBuffer(buffer: unknown): buffer is SharedArrayBuffer {
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

/** The data of a validated operand as a genuine typed array (number[] was already converted by `operand`). */
function genuineSource(source: Float32Array | Float64Array | readonly number[]): Float32Array | Float64Array {
  const tag = Reflect.apply(typedArrayTagGetter, source, []);
  if (tag !== 'Float32Array' && tag !== 'Float64Array') return Float32Array.from(source);
  const buffer = Reflect.apply(typedArrayBufferGetter, source, []) as ArrayBuffer;
  const offset = Reflect.apply(typedArrayByteOffsetGetter, source, []) as number;
  const length = Reflect.apply(typedArrayLengthGetter, source, []) as number;
  return tag === 'Float32Array' ? new Float32Array(buffer, offset, length) : new Float64Array(buffer, offset, length);
}

/** The `b` / `corpus` argument after validation: a handle, a pinned tensor, or omitted. */
type SecondOperand = (ShapedOperand & { record: CorpusRecord }) | { name: string; shape: number[]; source: Float32Array | Float64Array | readonly number[] } | null;


/**
 * The shape (or `dims`) of a TensorLike or corpus handle at a glance (no validation; null when
 * it is not plainly there, as own data properties), to size a call before deciding where it runs.
 */
function glance(value: unknown): readonly unknown[] | null {
  if (isHandle(value)) return recordOf(value).record.shape;
  if (value === null || typeof value !== 'object') return null;
  try {
    // Own data properties only: a getter or Proxy trap runs once, in validation, not here.
    if (Array.isArray(value)) return null;
    const own = (key: string) => Object.getOwnPropertyDescriptor(value, key);
    const descriptor = own('shape') ?? own('dims');
    if (descriptor === undefined || !('value' in descriptor) || !Array.isArray(descriptor.value)) return null;
    const extents: unknown[] = [];
    const shape = descriptor.value as unknown[];
    for (let axis = 0; axis < shape.length; axis++) {
      const entry = Object.getOwnPropertyDescriptor(shape, axis);
      if (entry === undefined || !('value' in entry)) return null;
      extents.push(entry.value);
    }
    return extents;
  } catch {
    return null;
  }
}

/**
 * Multiply-adds of a call whose first operand has `first` shape and whose second has
 * `second` rows (B·N·D·M for pairwise, Q·D·N for topK); NaN when a shape is not plain.
 */
function glanceWork(first: readonly unknown[] | null, second: readonly unknown[] | null): number {
  if (first === null || second === null) return Number.NaN;
  let work = second[second.length - 2];
  if (typeof work !== 'number') return Number.NaN;
  for (const extent of first) work *= typeof extent === 'number' ? extent : Number.NaN;
  return work;
}

function elements(shape: readonly number[]): number {
  return shape.reduce((count, extent) => count * extent, 1);
}

/** What `pool.pairwiseCosine` and each block of `pairwiseCosineBlocks` hand to the workers. */
interface PairwisePlan {
  corpus: CorpusRecord;
  /** All rows of A (shared or private), or null: the rows are the corpus's own (`b` omitted). */
  rows: Float32Array | null;
  /** First row of A (counted across batches) and how many. */
  firstRow: number;
  rowCount: number;
  aRows: number;
  bRows: number;
  depth: number;
  eps: number;
  scale: number;
}

const PAIRWISE_OPTIONS = ['eps', 'scale'] as const;
const BLOCKS_OPTIONS = ['eps', 'blockRows'] as const;
const TOPK_OPTIONS = ['eps', 'excludeSelf'] as const;

/** Stored elements of a quantised snapshot's rows. */
function expectedLength(snapshot: QuantizedSnapshot): number {
  return snapshot.shape[0] * rowElements(snapshot.dtype, snapshot.shape[1]);
}


export class PoolImpl implements Pool {
  readonly threads: number;
  readonly variant: Variant;
  readonly sharedMemory: boolean;
  readonly parallelThreshold: number;
  readonly #kit: Cosinekit;
  readonly #runtime: Runtime;
  readonly #scheduler: Scheduler;
  readonly #corpora: CorpusRegistry;
  readonly #arena = new SharedArena();
  /** Operand data → its name, for the message of a check made after validation. */
  readonly #sourceNames = new WeakMap<object, string>();
  #destroyed = false;
  #destruction: Promise<void> | null = null;

  constructor(settings: {
    threads: number;
    variant: Variant;
    sharedMemory: boolean;
    parallelThreshold: number;
    module: WebAssembly.Module;
    runtime: Runtime;
    spawn: WorkerFactory;
  }) {
    this.threads = settings.threads;
    this.variant = settings.variant;
    this.sharedMemory = settings.sharedMemory;
    this.parallelThreshold = settings.parallelThreshold;
    this.#runtime = settings.runtime;
    this.#kit = new Cosinekit({ runtime: settings.runtime , families: POOL_FAMILIES });
    this.#scheduler = new Scheduler({
      threads: settings.threads,
      spawn: settings.spawn,
      init: { kind: 'init', module: settings.module, variant: settings.variant },
      variant: settings.variant,
      // A restarted worker gets every corpus a handle still holds, queued behind its init.
      onStarted: (slot) => this.#corpora.reinstallOn(slot),
    });
    this.#corpora = new CorpusRegistry(this.#scheduler, settings.sharedMemory, this.#kit, settings.runtime);
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Starts every worker and waits until each has instantiated the variant. */
  async start(): Promise<void> {
    try {
      await this.#scheduler.start();
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  /** The kernel constants chunks align to, as the module reports them. */
  get #tiling(): Tiling {
    return this.#runtime.constants;
  }

  /**
   * A copy of `source` the workers can read: shared or private. A Float32Array that already
   * lives in a SharedArrayBuffer is used as it is, unless `alwaysCopy`. With `lease`, the
   * shared copy comes from the arena and its buffer is added to `lease`, for the caller to
   * give back once the call is over.
   */
  #snapshot(source: Float32Array | Float64Array | readonly number[], length: number, alwaysCopy = false, lease?: SharedArrayBuffer[]): Float32Array {
    // User code run after validation (a getter of a later argument) may have detached or
    // shrunk a typed array: refuse it, as the single-thread functions do, rather than copy less.
    if (ArrayBuffer.isView(source) && (Reflect.apply(typedArrayLengthGetter, source, []) as number) !== length) {
      throw new TypeError(`${this.#sourceNames.get(source) ?? 'an operand'}.data was detached or resized while the call was being validated`);
    }
    const genuine = genuineSource(source);
    if (this.sharedMemory) {
      if (!alwaysCopy && genuine instanceof Float32Array && isSharedBuffer(genuine.buffer)) return genuine;
      let buffer: SharedArrayBuffer;
      if (lease === undefined) buffer = new SharedArrayBuffer(length * 4);
      else {
        buffer = this.#arena.take(length * 4);
        lease.push(buffer);
      }
      const shared = new Float32Array(buffer, 0, length);
      shared.set(genuine);
      return shared;
    }
    const copy = new Float32Array(length);
    copy.set(genuine);
    return copy;
  }

  /** A result array the workers write into (shared) or the pool fills from their replies. */
  #output<T extends Float32Array | Int32Array>(kind: new (buffer: ArrayBufferLike) => T, plain: new (length: number) => T, length: number): T {
    return this.sharedMemory ? new kind(new SharedArrayBuffer(length * 4)) : new plain(length);
  }

  // ─────────────────────────── argument checks ───────────────────────────

  #checkAlive(functionName: string): void {
    if (this.#destroyed) throw new Error(`cosinekit: ${functionName}() was called on a destroyed pool; create a new one with createPool()`);
  }

  /** Validates a TensorLike exactly as the single-thread functions do, and pins what it will read. */
  #tensor(value: unknown, name: string): { name: string; shape: number[]; source: Float32Array | Float64Array | readonly number[] } {
    const pinned = operand(this.#runtime, value, name, false);
    if (pinned.source === null) throw new TypeError(`${name} lives in this pool's own memory; pass a tensor of your own`);
    if (typeof pinned.source === 'object') this.#sourceNames.set(pinned.source, name);
    return { name, shape: pinned.shape, source: pinned.source };
  }

  /** A handle of this pool that is still usable, as a shaped operand. */
  #handle(value: CorpusHandleImpl, name: string, functionName: string): ShapedOperand & { record: CorpusRecord } {
    const { registry, record } = recordOf(value);
    if (registry !== this.#corpora) throw new TypeError(`${functionName}: ${name} is a corpus handle of another pool`);
    if (value.released) throw new TypeError(`${functionName}: ${name} is a released corpus handle`);
    if (record.failure !== null) throw record.failure;
    return { name, shape: record.shape, record };
  }

  // ─────────────────────────── pairwise ───────────────────────────

  async pairwiseCosine(a: TensorLike, b?: TensorLike | CorpusHandle, options?: PoolPairwiseOptions): Promise<Tensor> {
    this.#checkAlive('pairwiseCosine');
    this.#refuseQuantized(a, b, 'pairwiseCosine');
    const settings = checkOptions(options, PAIRWISE_OPTIONS, 'pairwiseCosine');
    // A small call runs here, through the single-thread function itself (it validates).
    if (glanceWork(glance(a), glance(b ?? a)) < this.parallelThreshold) {
      return this.#kit.pairwiseCosine(a, this.#onCallingThread(b, 'b', 'pairwiseCosine'), settings);
    }
    const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
    const scale = finiteOption(settings.scale, 1, 'scale');
    const first = this.#tensor(a, 'a');
    const second = this.#secondOperand(b, 'pairwiseCosine');
    const sizes = pairSizes(first, second, 'pairwiseCosine');
    const resultShape = checkPairwiseResult(sizes);
    const { batch, aRows, bRows, depth } = sizes;
    const lease: SharedArrayBuffer[] = [];
    const rows = this.#snapshot(first.source, batch * aRows * depth, false, lease);
    const corpus = this.#corpusFor(second, rows, first.shape, lease);
    const out = this.#output(Float32Array, Float32Array, batch * aRows * bRows);
    try {
      await this.#pairwiseJob({ corpus, rows: second === null ? null : rows, firstRow: 0, rowCount: batch * aRows, aRows, bRows, depth, eps, scale }, out);
    } finally {
      this.#corpora.unuse(corpus, false);
      if (!this.#destroyed) this.#arena.give(lease);
    }
    return { data: out, shape: resultShape };
  }

  /** `b` / `corpus` for a call on the calling thread: a handle becomes its local copy; anything else goes as it is. */
  #onCallingThread<T>(value: T | CorpusHandle, name: string, functionName: string): T | WasmTensor | QuantizedTensor {
    return isHandle(value) ? this.#corpora.local(this.#handle(value, name, functionName).record) : (value as T);
  }

  /** The pairwise functions take float32 corpora only: a quantised handle or operand is refused, whatever the call's size. */
  #refuseQuantized(a: unknown, b: unknown, functionName: string): void {
    for (const [value, name] of [[a, 'a'], [b, 'b']] as const) {
      const storage = isHandle(value) ? recordOf(value).record.storage : null;
      if (storage !== null || (!isHandle(value) && isQuantizedValue(value))) {
        const dtype = storage?.dtype ?? 'quantised';
        throw new TypeError(`pool.${functionName}: ${name} is a ${dtype} corpus; the pool scores quantised corpora with topK only (pairwiseCosine of the single-thread API takes quantised operands)`);
      }
    }
  }

  /** `b` checked as the single-thread functions do (a handle, a TensorLike, or omitted). */
  #secondOperand(b: unknown, functionName: string): SecondOperand {
    if (b === undefined) return null;
    if (isHandle(b)) return this.#handle(b, 'b', functionName);
    checkSecondOperand(b, functionName);
    return this.#tensor(b, 'b');
  }

  /**
   * The corpus of a call: the handle's, or `b` (or `a` itself when `b` is omitted) installed for
   * this call only. Held (`users`) until `unuse`.
   */
  #corpusFor(second: SecondOperand, rows: Float32Array, aShape: readonly number[], lease: SharedArrayBuffer[]): CorpusRecord {
    const data = second === null || 'record' in second ? rows : this.#snapshot(second.source, elements(second.shape), false, lease);
    return this.#holdCorpus(second, data, aShape, true);
  }

  /** Installs (or, for a handle, takes hold of) the corpus `data`, `shape` of `second` or `a`. */
  #holdCorpus(second: SecondOperand, data: Float32Array, aShape: readonly number[], transferOwn: boolean): CorpusRecord {
    if (second !== null && 'record' in second) {
      if (second.record.dropped) throw new TypeError('the corpus handle was released before the call started');
      second.record.users++;
      return second.record;
    }
    const { record } = this.#corpora.install(data, second === null ? aShape : second.shape, false, transferOwn);
    record.users++;
    return record;
  }

  /** Runs rows `[firstRow, firstRow + rowCount)` of a pairwise product on the workers, into `out`. */
  #pairwiseJob(plan: PairwisePlan, out: Float32Array): Promise<void> {
    const { rows, rowCount, bRows, depth } = plan;
    // Few rows (a small block): slices of the corpus's rows instead, so every worker gets
    // some. Not for `b` omitted: its rows come from the self-rows kernel, whole.
    const columnSlice = rows === null ? null : pairwiseColumnSlice(rowCount, bRows, depth, this.threads, this.#tiling);
    const chunkRows = columnSlice === null ? pairwiseChunkRows(rowCount, bRows * depth, this.threads, this.#tiling) : rowCount;
    const columnPieces = columnSlice === null ? [[0, bRows] as [number, number]] : pieces(bRows, columnSlice);
    return this.#scheduler.submit((job) => {
      const chunks: Chunk[] = [];
      for (const [start, count] of pieces(rowCount, chunkRows)) {
        for (const [columnStart, columnCount] of columnPieces) chunks.push(this.#pairwiseChunk(job, plan, out, start, count, columnStart, columnCount));
      }
      return chunks;
    });
  }

  /** One chunk of a pairwise job: rows `start..start+count` of the plan's rows, result columns `columnStart..+columnCount`. */
  #pairwiseChunk(job: Job, plan: PairwisePlan, out: Float32Array, start: number, count: number, columnStart: number, columnCount: number): Chunk {
    const { corpus, rows, firstRow, aRows, bRows, depth, eps, scale } = plan;
    const rowStart = firstRow + start;
    return {
      job,
      work: count * columnCount * depth,
      build: () => {
        const transfer: ArrayBuffer[] = [];
        let chunkRowsData: Float32Array | null = null;
        if (rows !== null) {
          const view = rows.subarray(rowStart * depth, (rowStart + count) * depth);
          chunkRowsData = this.sharedMemory ? view : view.slice();
          if (!this.sharedMemory) transfer.push(chunkRowsData.buffer as ArrayBuffer);
        }
        const target = this.sharedMemory ? out.subarray(start * bRows, (start + count) * bRows) : null;
        return {
          request: { kind: 'pairwise', corpus: corpus.id, rows: chunkRowsData, rowStart, rowCount: count, aRows, columnStart, columnCount, eps, scale, out: target },
          transfer,
        };
      },
      accept: (reply) => {
        if (this.sharedMemory) return;
        const data = reply.data as Float32Array;
        if (columnCount === bRows) out.set(data, start * bRows);
        else for (let row = 0; row < count; row++) out.set(data.subarray(row * columnCount, (row + 1) * columnCount), (start + row) * bRows + columnStart);
      },
    };
  }

  pairwiseCosineBlocks(a: TensorLike, b?: TensorLike | CorpusHandle, options?: PairwiseBlocksOptions): AsyncIterable<PairwiseBlock> {
    this.#checkAlive('pairwiseCosineBlocks');
    this.#refuseQuantized(a, b, 'pairwiseCosineBlocks');
    const settings = checkOptions(options, BLOCKS_OPTIONS, 'pairwiseCosineBlocks');
    if (glanceWork(glance(a), glance(b ?? a)) < this.parallelThreshold) {
      const blocks = this.#kit.pairwiseCosineBlocks(a, this.#onCallingThread(b, 'b', 'pairwiseCosineBlocks') as TensorLike | undefined, settings);
      return {
        async *[Symbol.asyncIterator]() {
          yield* blocks;
        },
      };
    }
    const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
    const first = this.#tensor(a, 'a');
    const second = this.#secondOperand(b, 'pairwiseCosineBlocks');
    const { aRows, bRows, depth } = pairSizes(first, second, 'pairwiseCosineBlocks', [2]);
    const blockRows = blockRowsFor(settings.blockRows, aRows, bRows);
    // Read now (later changes to the inputs do not show); copied into the workers when an
    // iteration starts, and freed there when it ends — an iterable never iterated holds nothing.
    const rows = this.#snapshot(first.source, aRows * depth);
    const corpusData = second === null || 'record' in second ? rows : this.#snapshot(second.source, elements(second.shape));
    // Blocks in progress: at least two (the workers compute the next while the caller uses
    // this one), more when a block has fewer chunks than there are workers.
    const chunksPerBlock = Math.ceil(blockRows / pairwiseChunkRows(blockRows, bRows * depth, this.threads, this.#tiling));
    const lookahead = Math.max(2, Math.ceil(this.threads / chunksPerBlock) + 1);
    const pool = this;
    async function* iterate(): AsyncGenerator<PairwiseBlock> {
      pool.#checkAlive('pairwiseCosineBlocks');
      const corpus = pool.#holdCorpus(second, corpusData, first.shape, false);
      const pending: Promise<PairwiseBlock>[] = [];
      let next = 0;
      const startNext = () => {
        const rowStart = next;
        const count = Math.min(blockRows, aRows - rowStart);
        const out = pool.#output(Float32Array, Float32Array, count * bRows);
        const plan = { corpus, rows: second === null ? null : rows, firstRow: rowStart, rowCount: count, aRows, bRows, depth, eps, scale: 1 };
        const block = pool.#pairwiseJob(plan, out).then(() => ({ rowStart, rows: count, data: out }));
        block.catch(() => {}); // awaited below, or dropped when the loop is left early
        pending.push(block);
        next += count;
      };
      try {
        while (pending.length < lookahead && next < aRows) startNext();
        while (pending.length > 0) {
          const block = await (pending.shift() as Promise<PairwiseBlock>);
          if (next < aRows) startNext();
          yield block;
        }
      } finally {
        await Promise.allSettled(pending);
        pool.#corpora.unuse(corpus, false);
      }
    }
    return { [Symbol.asyncIterator]: iterate };
  }

  // ─────────────────────────── top-k ───────────────────────────

  async topK(queries: TensorLike, corpus: TensorLike | QuantizedLike | CorpusHandle, k: number, options?: TopKOptions | QuantizedTopKOptions): Promise<TopKResult> {
    this.#checkAlive('topK');
    const quantized = isHandle(corpus) ? recordOf(corpus).record.storage !== null : isQuantizedValue(corpus);
    if (quantized) return this.#topKQuantized(queries, corpus as QuantizedLike | CorpusHandle, k, options);
    if (isQuantizedValue(queries)) {
      throw new TypeError('topK: quantised queries need a quantised corpus of the same dtype (quantize the corpus, or pass float queries)');
    }
    const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
    if (glanceWork(glance(queries), glance(corpus)) < this.parallelThreshold) {
      return this.#kit.topK(queries, this.#onCallingThread(corpus as TensorLike | CorpusHandle, 'corpus', 'topK') as TensorLike, k, settings);
    }
    const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
    const excludeSelf = booleanOption(settings.excludeSelf, false, 'excludeSelf');
    const first = this.#tensor(queries, 'queries');
    // A 1-D query [D] is one row, as in the single-thread topK.
    if (first.shape.length === 1) first.shape = [1, first.shape[0] as number];
    const second = isHandle(corpus) ? this.#handle(corpus, 'corpus', 'topK') : this.#tensor(corpus, 'corpus');
    const { aRows: queryRows, bRows: corpusRows, depth } = pairSizes(first, second, 'topK', [2]);
    checkTopK(k, queryRows, corpusRows, excludeSelf);
    const found = await this.#topKSplit(first, second, queryRows, corpusRows, depth, k, excludeSelf, eps);
    return { indices: found.indices, scores: found.scores, shape: [queryRows, k] };
  }

  /**
   * The worker part of topK, float32 or quantised (a quantised corpus is always installed:
   * `second` is then its record): each query's best `k` by query chunks, or by corpus slices
   * merged by the kernels' merge.
   */
  async #topKSplit(
    first: { shape: number[]; source: Float32Array | Float64Array | readonly number[] },
    second: (ShapedOperand & { record: CorpusRecord }) | { name: string; shape: number[]; source: Float32Array | Float64Array | readonly number[] },
    queryRows: number,
    corpusRows: number,
    depth: number,
    k: number,
    excludeSelf: boolean,
    eps: number,
  ): Promise<TopKResult> {
    // Query chunks skip each query's own row in the kernel (its self offset is the chunk's
    // first query). Corpus slices keep one more candidate each and the merge drops self.
    const listLength = excludeSelf ? k + 1 : k;
    const lease: SharedArrayBuffer[] = [];
    const rows = this.#snapshot(first.source, queryRows * depth, false, lease);
    if (topKSplit(queryRows, this.threads) === 'queries') {
      // By queries: every worker needs the whole corpus (the handle's, or a copy for this call).
      const queryChunk = topKQueryChunkRows(queryRows, corpusRows * depth, this.threads, this.#tiling);
      const record = this.#corpusFor(second, rows, first.shape, lease);
      try {
        return await this.#topKByQueries(record, rows, queryRows, corpusRows, depth, k, excludeSelf, eps, queryChunk);
      } finally {
        this.#corpora.unuse(record, false);
        if (!this.#destroyed) this.#arena.give(lease);
      }
    }
    // By corpus slices: a handle's corpus is in every worker already; otherwise each chunk
    // carries its own slice, so the corpus is copied into the workers once in all, not once each.
    const source: CorpusRecord | Float32Array =
      'record' in second ? this.#holdCorpus(second, rows, first.shape, false) : this.#snapshot(second.source, corpusRows * depth, false, lease);
    try {
      return await this.#topKBySlices(source, rows, queryRows, corpusRows, depth, k, listLength, excludeSelf, eps);
    } finally {
      if (!(source instanceof Float32Array)) this.#corpora.unuse(source, false);
      if (!this.#destroyed) this.#arena.give(lease);
    }
  }

  // ─────────────────────────── top-k over quantised corpora ───────────────────────────

  /**
   * topK over a quantised corpus (a handle, a QuantizedTensor or a QuantizedLike): the workers
   * search (float queries encoded as the corpus was) for the candidate lists one thread's
   * search keeps — by query chunks, or by corpus slices merged — and rescoring, when asked
   * for, re-ranks those lists here with the same kernel, so every result is bitwise the
   * single-thread topK's.
   */
  async #topKQuantized(queries: unknown, corpus: QuantizedLike | CorpusHandle, k: number, options: unknown): Promise<TopKResult> {
    if (isQuantizedValue(queries)) {
      throw new TypeError('pool.topK: over a quantised corpus the pool takes float queries (encoded like the corpus); quantised queries go to the single-thread topK');
    }
    // Everything is read now, as the single-thread call reads it: the rescoring runs after
    // the workers' search, on these copies (rescore.vectors excepted: see Pool.topK).
    const settings = this.#pinQuantizedOptions(options);
    const handle = isHandle(corpus) ? this.#handle(corpus, 'corpus', 'topK') : null;
    let snapshot: QuantizedSnapshot = handle === null ? readQuantized(this.#runtime, corpus, 'corpus') : snapshotOf(handle.record, handle.record.keep as CorpusData);
    const first = this.#tensor(queries, 'queries');
    if (first.shape.length === 1) first.shape = [1, first.shape[0] as number];
    const pinnedQueries = { data: this.#snapshot(first.source, elements(first.shape), true), shape: first.shape };
    const plan: QuantizedTopKPlan = planQuantizedTopK(this.#runtime, pinnedQueries, snapshot, k, settings);
    const [corpusRows, depth] = snapshot.shape;
    if (plan.queryRows * corpusRows * depth < this.parallelThreshold) {
      const local = handle === null ? snapshot : this.#corpora.local(handle.record);
      return this.#kit.topK(pinnedQueries, local as QuantizedLike, k, settings as QuantizedTopKOptions);
    }
    let record: CorpusRecord;
    if (handle !== null) {
      if (handle.record.dropped) throw new TypeError('the corpus handle was released before the call started');
      record = handle.record;
      record.users++;
    } else {
      // The workers get copies of this copy; the rescoring reads it after the search.
      const { dtype, ranges, thresholds } = snapshot;
      snapshot = { ...snapshot, data: this.#storedCopy(snapshot.data, dtype, expectedLength(snapshot)) };
      record = this.#corpora.install(snapshot.data, snapshot.shape, false, false, { dtype, ranges, thresholds }).record;
      record.users++;
    }
    try {
      const second = { name: 'corpus', shape: [corpusRows, depth], record };
      const found = await this.#topKSplit({ shape: first.shape, source: pinnedQueries.data }, second, plan.queryRows, corpusRows, depth, plan.listLength, plan.excludeSelf, plan.eps);
      if (!plan.rescore) return { indices: found.indices, scores: found.scores, shape: [plan.queryRows, plan.k] };
      return rescoreCandidates(this.#runtime, pinnedQueries, snapshot, found.indices, plan, settings);
    } finally {
      this.#corpora.unuse(record, false);
    }
  }

  /**
   * A quantised topK's options read once (getters run once): `eps`, `excludeSelf` and
   * `rescore`, with `rescore.vectors` pinned — a WasmTensor kept as it is (its view is
   * re-created if its memory grows), any other operand as the array it holds now.
   */
  #pinQuantizedOptions(options: unknown): Record<string, unknown> {
    const settings = checkOptions(options, QUANTIZED_TOPK_OPTIONS, 'topK');
    const rescore = settings.rescore;
    if (rescore === undefined || typeof rescore !== 'object' || rescore === null) return settings;
    const inner = checkOptions(rescore, RESCORE_OPTIONS, 'topK rescore');
    const vectors = inner.vectors;
    if (vectors !== undefined && !(vectors instanceof WasmTensorClass) && !isQuantizedValue(vectors)) {
      const pinned = this.#tensor(vectors, 'rescore.vectors');
      const data = Array.isArray(pinned.source) ? Float32Array.from(pinned.source as readonly number[]) : pinned.source;
      inner.vectors = { data, shape: pinned.shape };
    }
    return { ...settings, rescore: { ...inner } };
  }

  /** A quantised corpus's stored elements (`length` of them, checked), copied where the workers can read them: shared, or private for transfer. */
  #storedCopy(data: CorpusData, dtype: StorageDtype, length: number): QuantizedData {
    const actual = Reflect.apply(typedArrayLengthGetter, data, []) as number;
    if (actual !== length) throw new TypeError('corpus.data was detached or resized while the call was being validated');
    const bytes = length * elementBytesOf(dtype);
    const buffer: ArrayBufferLike = this.sharedMemory ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    const copy = storedArray(dtype, buffer, length);
    (copy as Uint8Array).set(data as Uint8Array);
    return copy;
  }

  async #topKByQueries(
    record: CorpusRecord,
    rows: Float32Array,
    queryRows: number,
    corpusRows: number,
    depth: number,
    k: number,
    excludeSelf: boolean,
    eps: number,
    chunkRows: number,
  ): Promise<TopKResult> {
    const indices = this.#output(Int32Array, Int32Array, queryRows * k);
    const scores = this.#output(Float32Array, Float32Array, queryRows * k);
    await this.#scheduler.submit((job) => {
      const chunks: Chunk[] = [];
      for (let start = 0; start < queryRows; start += chunkRows) {
        const count = Math.min(chunkRows, queryRows - start);
        chunks.push({
          job,
          work: count * corpusRows * depth,
          build: () => {
            const view = rows.subarray(start * depth, (start + count) * depth);
            const queries = this.sharedMemory ? view : view.slice();
            const shared = this.sharedMemory;
            return {
              request: {
                kind: 'topk',
                corpus: record.id,
                corpusRows: null,
                queries,
                queryStart: start,
                queryCount: count,
                corpusStart: 0,
                corpusCount: corpusRows,
                k,
                excludeSelf,
                path: this.#runtime.exports.ck_topk_path(queryRows),
                eps,
                outIndices: shared ? indices.subarray(start * k, (start + count) * k) : null,
                outScores: shared ? scores.subarray(start * k, (start + count) * k) : null,
              },
              transfer: shared ? [] : [queries.buffer as ArrayBuffer],
            };
          },
          accept: (reply) => {
            if (this.sharedMemory) return;
            indices.set(reply.indices as Int32Array, start * k);
            scores.set(reply.scores as Float32Array, start * k);
          },
        });
      }
      return chunks;
    });
    return { indices, scores, shape: [queryRows, k] };
  }

  async #topKBySlices(
    corpus: CorpusRecord | Float32Array,
    rows: Float32Array,
    queryRows: number,
    corpusRows: number,
    depth: number,
    k: number,
    listLength: number,
    excludeSelf: boolean,
    eps: number,
  ): Promise<TopKResult> {
    const sliceRows = topKSliceRows(corpusRows, queryRows, depth, listLength, this.threads, this.#tiling);
    const slices: TopKSlice[] = [];
    await this.#scheduler.submit((job) => {
      const chunks: Chunk[] = [];
      for (let start = 0, slice = 0; start < corpusRows; start += sliceRows, slice++) {
        const count = Math.min(sliceRows, corpusRows - start);
        const kept = Math.min(listLength, count);
        const position = slice;
        chunks.push({
          job,
          work: queryRows * count * depth,
          build: () => {
            const queries = this.sharedMemory ? rows : rows.slice();
            const transfer = this.sharedMemory ? [] : [queries.buffer as ArrayBuffer];
            let corpusRows: Float32Array | null = null;
            if (corpus instanceof Float32Array) {
              const view = corpus.subarray(start * depth, (start + count) * depth);
              corpusRows = this.sharedMemory ? view : view.slice();
              if (!this.sharedMemory) transfer.push(corpusRows.buffer as ArrayBuffer);
            }
            return {
              request: {
                kind: 'topk',
                corpus: corpus instanceof Float32Array ? 0 : corpus.id,
                corpusRows,
                queries,
                queryStart: 0,
                queryCount: queryRows,
                corpusStart: start,
                corpusCount: count,
                k: kept,
                excludeSelf: false,
                path: this.#runtime.exports.ck_topk_path(queryRows),
                eps,
                outIndices: null,
                outScores: null,
              },
              transfer,
            };
          },
          accept: (reply) => {
            slices[position] = { indices: reply.indices as Int32Array, scores: reply.scores as Float32Array, listLength: kept, indexOffset: start };
          },
        });
      }
      return chunks;
    });
    return mergeTopK(this.#runtime, slices, queryRows, k, excludeSelf);
  }

  // ─────────────────────────── handles and lifetime ───────────────────────────

  setCorpus(corpus: TensorLike | QuantizedLike): CorpusHandle {
    this.#checkAlive('setCorpus');
    if (isQuantizedValue(corpus)) {
      // A quantised corpus: validated as topK validates it, its stored elements copied once.
      const snapshot = readQuantized(this.#runtime, corpus, 'corpus');
      if (snapshot.shape.includes(0)) {
        throw new RangeError(`setCorpus: corpus has an empty dimension (${snapshot.dtype} shape ${formatShape(snapshot.shape)}); every dimension must be at least 1`);
      }
      const { dtype, ranges, thresholds } = snapshot;
      const data = this.#storedCopy(snapshot.data, dtype, expectedLength(snapshot));
      const { record, ready } = this.#corpora.install(data, snapshot.shape, true, false, { dtype, ranges, thresholds });
      record.users = 1; // the handle's own hold, dropped by release()
      return new HandleClass(this.#corpora, record, ready);
    }
    const pinned = this.#tensor(corpus, 'corpus');
    const rank = pinned.shape.length;
    if (rank !== 2 && rank !== 3) {
      throw new RangeError(`setCorpus: corpus must have shape [M, D] or [B, M, D], got ${formatShape(pinned.shape)}`);
    }
    if (pinned.shape.includes(0)) {
      throw new RangeError(`setCorpus: corpus has an empty dimension (shape ${formatShape(pinned.shape)}); every dimension must be at least 1`);
    }
    const length = elements(pinned.shape);
    // A handle keeps its own copy (shared, or private in transfer mode) for restarted workers.
    const data = this.#snapshot(pinned.source, length, true);
    const { record, ready } = this.#corpora.install(data, pinned.shape, true, false);
    record.users = 1; // the handle's own hold, dropped by release()
    return new HandleClass(this.#corpora, record, ready);
  }

  destroy(): Promise<void> {
    if (this.#destruction !== null) return this.#destruction;
    this.#destroyed = true;
    this.#corpora.clear();
    this.#arena.clear();
    this.#destruction = this.#scheduler.stop(new Error('cosinekit: the pool was destroyed before this call finished'));
    return this.#destruction;
  }

  [asyncDisposeKey](): Promise<void> {
    return this.destroy();
  }
}
