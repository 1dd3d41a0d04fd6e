// A pool of worker threads for the [N,D]×[M,D] family: pairwiseCosine, pairwiseCosineBlocks
// and topK, async, split across workers by rows of A (queries) — or, for few queries, by
// slices of the corpus, merged in the kernel's order. Every worker runs its own instance of
// the variant the calling thread chose and the same kernels, so results are bitwise equal to
// the single-thread functions (each entry of the matrix is computed independently of which
// rows share its call; see crates/cosinekit-core/src/gemm).
//
// Data: the corpus (B) is copied once into every worker's wasm memory and stays there for
// the call — or, with `setCorpus`, until its handle is released. Rows of A and the results
// live in SharedArrayBuffers where the platform can post them (Node, cross-origin-isolated
// pages), so nothing is structured-cloned; elsewhere chunks travel as transferred buffers.
// Arguments are validated on the calling thread first, with the single-thread functions'
// rules and messages; jobs below `parallelThreshold` multiply-adds run on the calling
// thread, where a round trip to the workers would cost more than it saves.

import { asyncDisposeKey, disposeKey } from './disposable.js';
import { Cosinekit } from './kit.js';
import { chooseVariant, variantBytes } from './loader.js';
import type { PairwiseBlock, PairwiseBlocksOptions, TopKOptions, TopKResult } from './pairwise.js';
import { type WorkerFactory, type WorkerThread, hardwareThreads, sharedMemoryAvailable, workerFactory } from './pool-platform.js';
import type { ErrorData, PoolReply, PoolRequest, SuccessReply } from './pool-protocol.js';
import { type TopKSlice, mergeTopK } from './pairwise.js';
import { blockRowsFor, checkPairwiseResult, checkSecondOperand, checkTopK, finiteOption, pairSizes, type ShapedOperand } from './validate.js';
import { Runtime, type Variant } from './runtime.js';
import { type Shape, booleanOption, checkOptions, describe, formatShape, nonNegativeOption } from './validate.js';
import { type Tensor, type TensorLike, type WasmTensor, operand } from './tensor.js';

/** Options of {@link createPool}. */
export interface PoolOptions {
  /**
   * Worker threads. Default: the cores the engine reports (`navigator.hardwareConcurrency`,
   * Node's `os.availableParallelism()`), at most 8 — every worker holds its own copy of the
   * corpus, so memory grows with the thread count.
   */
  threads?: number;
  /** The wasm build every worker (and the calling thread's fallback) runs. `auto` (default) picks the fastest the engine supports. */
  variant?: 'auto' | Variant;
  /**
   * Pass rows and results through SharedArrayBuffers (no structured clone). Default: whenever
   * they can be posted to workers (Node; pages that are cross-origin isolated). `false`
   * transfers ArrayBuffers instead; `true` where they are unavailable is an Error.
   */
  sharedMemory?: boolean;
  /**
   * Multiply-adds (B·N·M·D for pairwise, Q·N·D for topK) below which a call runs on the
   * calling thread, through the single-thread function, instead of the workers. Default
   * 2^26 (67 108 864, about 6 ms of one thread): bench/pool.mjs measures where the pool
   * stops being slower than one thread (prints the crossover). 0 sends every call to the
   * workers.
   */
  parallelThreshold?: number;
  /**
   * The worker script, when a bundler does not resolve the default
   * (`new URL('./pool-worker.js', import.meta.url)`, or pool-worker.cjs next to the CJS build),
   * e.g. with Vite's dependency pre-bundling: serve `cosinekit/dist/pool-worker.js` and pass its URL.
   */
  workerUrl?: string | { readonly href: string };
}

/** Options of {@link Pool.pairwiseCosine}: as the single-thread `pairwiseCosine`, without `out`. */
export interface PoolPairwiseOptions {
  /** Lower bound of each row norm. Default 1e-8 (as cosine_similarity). */
  eps?: number;
  /** Multiplies every entry: logits = scale · cos (1/temperature). Default 1. */
  scale?: number;
}

/**
 * A corpus copied into every worker once (by {@link Pool.setCorpus}), for any number of
 * `topK`, `pairwiseCosine` and `pairwiseCosineBlocks` calls of the pool that made it. It
 * stays in the workers until {@link CorpusHandle.release} (or `using`, or `pool.destroy()`).
 */
export interface CorpusHandle {
  /** The corpus shape: `[M, D]`, or `[B, M, D]` for batched `pairwiseCosine`. */
  readonly shape: Shape;
  /**
   * Resolves once every worker holds the corpus; rejects if a worker could not copy it (e.g.
   * its wasm memory is full; calls with the handle then reject with that error). Calls need
   * not wait for it: they are queued behind the copy.
   */
  readonly ready: Promise<void>;
  /** Whether `release()` was called (or the pool destroyed); a released handle cannot be used. */
  readonly released: boolean;
  /** Frees the corpus in every worker once the calls already using it finish. Idempotent. */
  release(): void;
  /** `release()`, for `using handle = pool.setCorpus(corpus)`. */
  [Symbol.dispose](): void;
}

/**
 * Worker threads running the `[N,D]×[M,D]` functions in parallel. Results are bitwise equal
 * to the single-thread functions of the same variant. Result arrays of calls that ran on the
 * workers are backed by a SharedArrayBuffer when {@link Pool.sharedMemory} is true; calls
 * below {@link Pool.parallelThreshold} run on the calling thread and return ordinary arrays.
 *
 * Inputs are read when the call is made (later changes to them do not affect it), except
 * Float32Arrays that already live in a SharedArrayBuffer: the workers read those directly,
 * so do not write to them until the call settles. Every worker holds its own copy of each
 * corpus in use (memory ≈ threads × corpus size).
 *
 * Argument errors are the single-thread functions' own, as rejections. An error inside a
 * worker (e.g. its memory is full) rejects that call only. A worker that dies rejects every
 * call in progress; it is replaced, corpus handles are copied into the new worker, and later
 * calls work as before.
 */
export interface Pool {
  /** Worker threads. */
  readonly threads: number;
  /** The wasm build every worker runs. */
  readonly variant: Variant;
  /** Whether rows and results travel in SharedArrayBuffers (else transferred ArrayBuffers). */
  readonly sharedMemory: boolean;
  /** Multiply-adds below which calls run on the calling thread. */
  readonly parallelThreshold: number;
  /** Whether `destroy()` was called. */
  readonly destroyed: boolean;
  /**
   * The cosine matrix, as the single-thread `pairwiseCosine`: `a` `[N,D]`, `b` `[M,D]` → `[N,M]`;
   * `[B,N,D]` × `[B,M,D]` → `[B,N,M]`; `b` omitted ⇒ `a` with itself. `b` may be a corpus handle.
   * Split across workers by rows of `a`.
   */
  pairwiseCosine(a: TensorLike, b?: TensorLike | CorpusHandle, options?: PoolPairwiseOptions): Promise<Tensor>;
  /**
   * The pairwise matrix of `a` `[N,D]` and `b` `[M,D]` (or a corpus handle) as row blocks, in
   * order, as the single-thread `pairwiseCosineBlocks`. Each block is split across the workers,
   * and the next block is computed while the current one is being consumed (two blocks are
   * held at a time, more only when blocks are too small to occupy every worker). Arguments
   * are checked and read when it is called; each iteration copies the corpus into the workers
   * and frees it when the loop ends (breaking out of it included).
   */
  pairwiseCosineBlocks(a: TensorLike, b?: TensorLike | CorpusHandle, options?: PairwiseBlocksOptions): AsyncIterable<PairwiseBlock>;
  /**
   * For each query row, the `k` most similar corpus rows, as the single-thread `topK` (sorted
   * by score; ties: lower index first; NaN first). `corpus` may be a corpus handle. Split by
   * queries, or by slices of the corpus (merged per query) when there are too few queries to
   * share out.
   */
  topK(queries: TensorLike, corpus: TensorLike | CorpusHandle, k: number, options?: TopKOptions): Promise<TopKResult>;
  /**
   * Copies `corpus` (`[M,D]`, or `[B,M,D]` for batched pairwise) into every worker once and
   * returns a handle to pass as `b` / `corpus` to later calls. It is validated and read now;
   * the copies into the workers happen in the background (see {@link CorpusHandle.ready}).
   */
  setCorpus(corpus: TensorLike): CorpusHandle;
  /**
   * Terminates every worker and frees every corpus. Calls in progress reject; later calls
   * reject with an Error saying the pool was destroyed. Idempotent.
   */
  destroy(): Promise<void>;
  /** `destroy()`, for `await using pool = await createPool()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Multiply-adds below which a call runs on the calling thread: 2^26, about 6 ms of one
 * thread. Measured with bench/pool.mjs (2-vCPU EPYC, Node 20, simd128, two workers, size
 * sweeps in quiet spells): the pool overtakes one thread from about 2^24 multiply-adds for
 * pairwise and from 2^25–2^26 for top-k with few queries (its corpus must be copied into the
 * workers on every call without a handle). A message round trip costs about 0.3 ms here.
 */
const DEFAULT_PARALLEL_THRESHOLD = 2 ** 26;
/** Most threads `threads` may ask for, and most the default picks. */
const MAX_THREADS = 64;
const MAX_DEFAULT_THREADS = 8;
/**
 * Chunks per thread a call is cut into, so that a thread slowed down by other processes
 * takes fewer. Not more: every pairwise chunk normalises and packs all of B again (about 4%
 * of the work at 2048×2048×768 with 4 chunks per thread, 2% with 2).
 */
const CHUNKS_PER_THREAD = 2;
/**
 * Least multiply-adds per chunk (about 0.5 ms of one thread): a chunk costs about 0.1 ms of
 * messages and set-up, which must stay small beside its work.
 */
const MIN_CHUNK_WORK = 2 ** 22;
/** Chunks a worker holds at once: the one it computes and the next. */
const MAX_IN_FLIGHT = 2;
/**
 * A worker gets its next chunk ahead of time only while its current one is smaller than this
 * (a few milliseconds): then a message's latency matters; beyond it, holding chunks back keeps
 * the split even when a thread is slowed down.
 */
const PIPELINE_WORK = 2 ** 25;
/** Most bytes of input copies kept for reuse between calls (see SharedArena). */
const ARENA_BYTES = 512 * 2 ** 20;
/** Split top-k by queries when every chunk gets at least this many; else by corpus slices. */
const MIN_QUERY_CHUNK = 128;


// Typed-array intrinsics: a genuine view of an input's memory, whatever a subclass overrides.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsic(key: PropertyKey): (this: unknown) => unknown {
  const getter = Object.getOwnPropertyDescriptor(typedArrayPrototype, key)?.get;
  if (getter === undefined) throw new Error(`cosinekit: this engine has no ${String(key)} getter on typed arrays`);
  return getter as (this: unknown) => unknown;
}
const tagOf = intrinsic(Symbol.toStringTag);
const bufferOf = intrinsic('buffer');
const byteOffsetOf = intrinsic('byteOffset');
const lengthOf = intrinsic('length');

function isSharedBuffer(buffer: unknown): buffer is SharedArrayBuffer {
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

/** The data of a validated operand as a genuine typed array (number[] was already converted by `operand`). */
function genuineSource(source: Float32Array | Float64Array | readonly number[]): Float32Array | Float64Array {
  const tag = Reflect.apply(tagOf, source, []);
  if (tag !== 'Float32Array' && tag !== 'Float64Array') return Float32Array.from(source);
  const buffer = Reflect.apply(bufferOf, source, []) as ArrayBuffer;
  const offset = Reflect.apply(byteOffsetOf, source, []) as number;
  const length = Reflect.apply(lengthOf, source, []) as number;
  return tag === 'Float32Array' ? new Float32Array(buffer, offset, length) : new Float64Array(buffer, offset, length);
}

function rebuildError(data: ErrorData, worker: number): Error {
  const message = `${data.message} (in pool worker ${worker})`;
  if (data.name === 'RangeError') return new RangeError(message);
  if (data.name === 'TypeError') return new TypeError(message);
  const error = new Error(message);
  if (data.name !== 'Error') error.name = data.name;
  return error;
}

/** A corpus installed in the workers: for one call, or for a handle's lifetime. */
interface CorpusRecord {
  id: number;
  shape: readonly number[];
  /** What a restarted worker is given (handles only): the shared data, or a private copy. */
  keep: Float32Array | null;
  /** Calls (and block iterations, and a live handle) holding it. */
  users: number;
  /** Free it in the workers when `users` reaches 0 (one-call corpora; released handles). */
  dropWhenUnused: boolean;
  dropped: boolean;
  /** Why a worker could not install it. */
  failure: Error | null;
  /** A copy in the calling thread's instance, made the first time a small call runs there. */
  local: WasmTensor | null;
}

/** One piece of a call, run by whichever worker is free next. */
interface Chunk {
  job: Job;
  /** Multiply-adds, roughly. */
  work: number;
  build(): { request: DistributiveOmit<PoolRequest, 'id'>; transfer: ArrayBuffer[] };
  accept(reply: SuccessReply): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One call on the workers: settles when its last chunk has, or at its first failure. */
class Job {
  remaining = 0;
  settled = false;
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  readonly #onSettled: (job: Job) => void;

  constructor(onSettled: (job: Job) => void) {
    this.#onSettled = onSettled;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  chunkDone(): void {
    if (this.settled) return;
    this.remaining--;
    if (this.remaining === 0) {
      this.settled = true;
      this.#onSettled(this);
      this.#resolve();
    }
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.#onSettled(this);
    this.#reject(error);
  }
}

/** A worker thread and the requests it has not answered yet. */
class Slot {
  readonly index: number;
  readonly thread: WorkerThread;
  alive = true;
  /** Whether its init succeeded (only such a worker is restarted when it dies). */
  ready = false;
  /** Chunks posted to it and not answered yet (at most MAX_IN_FLIGHT). */
  readonly running = new Set<Chunk>();
  readonly waiting = new Map<number, { resolve: (reply: SuccessReply) => void; reject: (error: Error) => void }>();

  constructor(index: number, thread: WorkerThread) {
    this.index = index;
    this.thread = thread;
  }
}

/** The `b` / `corpus` argument after validation: a handle, a pinned tensor, or omitted. */
type SecondOperand = (ShapedOperand & { record: CorpusRecord }) | { name: string; shape: number[]; source: Float32Array | Float64Array | readonly number[] } | null;

/**
 * The shape of a TensorLike or corpus handle at a glance (no validation; null when it is not
 * plainly there), to size a call before deciding where it runs.
 */
function glance(value: unknown): readonly unknown[] | null {
  if (isHandle(value)) return handleRecord(value).record.shape;
  if (value === null || typeof value !== 'object') return null;
  try {
    const shape: unknown = (value as { shape?: unknown }).shape;
    return Array.isArray(shape) ? shape : null;
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

const POOL_OPTIONS = ['threads', 'variant', 'sharedMemory', 'parallelThreshold', 'workerUrl'] as const;
const PAIRWISE_OPTIONS = ['eps', 'scale'] as const;
const BLOCKS_OPTIONS = ['eps', 'blockRows'] as const;
const TOPK_OPTIONS = ['eps', 'excludeSelf'] as const;

let handleRecord: (handle: CorpusHandleImpl) => { pool: PoolImpl; record: CorpusRecord };
let isHandle: (value: unknown) => value is CorpusHandleImpl;

class CorpusHandleImpl implements CorpusHandle {
  readonly shape: Shape;
  readonly ready: Promise<void>;
  readonly #pool: PoolImpl;
  readonly #record: CorpusRecord;
  #released = false;

  static {
    handleRecord = (handle) => ({ pool: handle.#pool, record: handle.#record });
    isHandle = (value): value is CorpusHandleImpl => typeof value === 'object' && value !== null && #record in value;
  }

  /** @internal Use `pool.setCorpus(corpus)`. */
  constructor(pool: PoolImpl, record: CorpusRecord, ready: Promise<void>) {
    this.#pool = pool;
    this.#record = record;
    this.shape = Object.freeze([...record.shape]);
    this.ready = ready;
    Object.freeze(this);
  }

  get released(): boolean {
    return this.#released || this.#record.dropped || this.#pool.destroyed;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#pool.unuse(this.#record, true);
  }

  [disposeKey](): void {
    this.release();
  }
}

/**
 * SharedArrayBuffers for the copies of a call's inputs, reused by later calls. Fresh memory
 * is paid for in page faults when it is first written (about 1 ms per MB on a small VM, as
 * much as the copy itself ten times over); results are always fresh (the caller keeps them).
 * Sizes are rounded up to one of 8 classes per power of two, so a repeated shape reuses its
 * buffer; at most ARENA_BYTES are kept between calls.
 */
class SharedArena {
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

class PoolImpl implements Pool {
  readonly threads: number;
  readonly variant: Variant;
  readonly sharedMemory: boolean;
  readonly parallelThreshold: number;
  readonly #kit: Cosinekit;
  readonly #runtime: Runtime;
  readonly #spawn: WorkerFactory;
  readonly #module: WebAssembly.Module;
  readonly #slots: Slot[] = [];
  readonly #queue: Chunk[] = [];
  readonly #jobs = new Set<Job>();
  readonly #corpora = new Set<CorpusRecord>();
  readonly #arena = new SharedArena();
  #nextId = 1;
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
    this.#kit = new Cosinekit({ runtime: settings.runtime });
    this.#spawn = settings.spawn;
    this.#module = settings.module;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  // ─────────────────────────── workers ───────────────────────────

  /** Starts every worker and waits until each has instantiated the variant. */
  async start(): Promise<void> {
    const started: Promise<unknown>[] = [];
    for (let index = 0; index < this.threads; index++) started.push(this.#startSlot(index));
    const outcomes = await Promise.allSettled(started);
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) {
      await this.destroy();
      const reason: unknown = failed.reason;
      throw reason instanceof Error ? reason : new Error(String(reason));
    }
  }

  #startSlot(index: number): Promise<SuccessReply> {
    let slot: Slot | null = null;
    const thread = this.#spawn({
      reply: (reply) => {
        if (slot !== null) this.#onReply(slot, reply);
      },
      failure: (error) => {
        if (slot !== null) this.#onWorkerFailure(slot, error);
      },
    });
    slot = new Slot(index, thread);
    this.#slots[index] = slot;
    const started = slot;
    const ready = this.#send(slot, { kind: 'init', module: this.#module, variant: this.variant }, []).then((reply) => {
      if (reply.variant !== this.variant) throw new Error(`cosinekit: a pool worker runs ${String(reply.variant)}, not ${this.variant}`);
      started.ready = true;
      return reply;
    });
    // A restarted worker gets every corpus a handle still holds, queued behind its init.
    for (const record of this.#corpora) {
      if (record.keep !== null && !record.dropped) this.#installOn(slot, record, record.keep, false, true);
    }
    return ready;
  }

  /** Posts a request that gets no reply (a quiet install, a release). */
  #post(slot: Slot, request: DistributiveOmit<PoolRequest, 'id'>, transfer: ArrayBuffer[]): void {
    if (!slot.alive) return;
    slot.thread.post({ ...request, id: this.#nextId++ } as PoolRequest, transfer);
  }

  #send(slot: Slot, request: DistributiveOmit<PoolRequest, 'id'>, transfer: ArrayBuffer[]): Promise<SuccessReply> {
    const id = this.#nextId++;
    return new Promise<SuccessReply>((resolve, reject) => {
      if (!slot.alive) {
        reject(new Error('cosinekit: this pool worker has stopped'));
        return;
      }
      slot.waiting.set(id, { resolve, reject });
      slot.thread.keepAlive(true);
      try {
        slot.thread.post({ ...request, id } as PoolRequest, transfer);
      } catch (thrown) {
        slot.waiting.delete(id);
        if (slot.waiting.size === 0) slot.thread.keepAlive(false);
        reject(thrown instanceof Error ? thrown : new Error(String(thrown)));
      }
    });
  }

  #onReply(slot: Slot, reply: PoolReply): void {
    const waiter = slot.waiting.get(reply.id);
    if (waiter === undefined) return;
    slot.waiting.delete(reply.id);
    if (slot.waiting.size === 0) slot.thread.keepAlive(false);
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(rebuildError(reply.error, slot.index + 1));
  }

  /**
   * A worker died (crashed, ran out of memory, or failed to load). Every call in progress
   * rejects — each may have had a corpus copy in that worker — and a new worker takes its
   * place, with the handles' corpora copied in again. Later calls work as before.
   */
  #onWorkerFailure(slot: Slot, error: Error): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.running.clear();
    for (const waiter of slot.waiting.values()) waiter.reject(error);
    slot.waiting.clear();
    void slot.thread.terminate().catch(() => {});
    if (this.#destroyed) return;
    for (const job of [...this.#jobs]) job.fail(error);
    // A worker that never became ready is not restarted (it would fail the same way again).
    if (!slot.ready) {
      this.#pump();
      return;
    }
    this.#startSlot(slot.index).then(
      () => this.#pump(),
      (restartError: Error) => {
        // The replacement failed its init: it is stopped for good (never restarted again).
        const current = this.#slots[slot.index];
        if (current !== undefined) this.#onWorkerFailure(current, restartError);
        this.#pump();
      },
    );
  }

  /**
   * Hands queued chunks to the workers: one each first, then — for small chunks — a second
   * each, so a worker has its next chunk while it computes the current one (a message takes
   * tens of microseconds each way).
   */
  #pump(): void {
    for (let depth = 1; depth <= MAX_IN_FLIGHT; depth++) {
      for (const slot of this.#slots) {
        if (!slot.alive || slot.running.size >= depth) continue;
        if (depth > 1 && [...slot.running].some((chunk) => chunk.work >= PIPELINE_WORK)) continue;
        let chunk = this.#queue.shift();
        while (chunk !== undefined && chunk.job.settled) chunk = this.#queue.shift();
        if (chunk === undefined) return;
        this.#run(slot, chunk);
      }
    }
    if (this.#queue.length > 0 && !this.#slots.some((slot) => slot.alive)) {
      const error = new Error('cosinekit: no pool worker is running (a worker stopped and could not be restarted)');
      for (const job of [...this.#jobs]) job.fail(error);
    }
  }

  #run(slot: Slot, chunk: Chunk): void {
    slot.running.add(chunk);
    let built: ReturnType<Chunk['build']>;
    try {
      built = chunk.build();
    } catch (thrown) {
      slot.running.delete(chunk);
      chunk.job.fail(thrown instanceof Error ? thrown : new Error(String(thrown)));
      queueMicrotask(() => this.#pump());
      return;
    }
    this.#send(slot, built.request, built.transfer).then(
      (reply) => {
        slot.running.delete(chunk);
        if (!chunk.job.settled) {
          try {
            chunk.accept(reply);
            chunk.job.chunkDone();
          } catch (thrown) {
            chunk.job.fail(thrown instanceof Error ? thrown : new Error(String(thrown)));
          }
        }
        this.#pump();
      },
      (error: Error) => {
        slot.running.delete(chunk);
        chunk.job.fail(error);
        this.#pump();
      },
    );
  }

  /** Queues a call's chunks and resolves when they are all done (rejects at the first failure). */
  #submit(chunks: (job: Job) => Chunk[]): Promise<void> {
    const job: Job = new Job((settled) => {
      this.#jobs.delete(settled);
      for (let index = this.#queue.length - 1; index >= 0; index--) {
        if ((this.#queue[index] as Chunk).job === settled) this.#queue.splice(index, 1);
      }
    });
    this.#jobs.add(job);
    const list = chunks(job);
    job.remaining = list.length;
    if (list.length === 0) {
      job.remaining = 1;
      job.chunkDone();
    }
    this.#queue.push(...list);
    this.#pump();
    return job.promise;
  }

  // ─────────────────────────── corpora ───────────────────────────

  /**
   * Installs `data` (`shape`) in every worker; `keep` it for restarted workers when it belongs
   * to a handle. In transfer mode `transferOwn` lets the last worker take `data` itself (the
   * caller no longer needs it) instead of a copy.
   */
  #installCorpus(data: Float32Array, shape: readonly number[], keep: boolean, transferOwn: boolean): { record: CorpusRecord; ready: Promise<void> } {
    const record: CorpusRecord = {
      id: this.#nextId++,
      shape,
      keep: keep ? data : null,
      users: 0,
      dropWhenUnused: !keep,
      dropped: false,
      failure: null,
      local: null,
    };
    this.#corpora.add(record);
    const alive = this.#slots.filter((slot) => slot.alive);
    // A handle's copies are acknowledged (its `ready`); a one-call corpus's are not: its tasks
    // follow at once and report a failed copy themselves.
    const installs = alive.map((slot, position) => {
      const own = transferOwn && !keep && position === alive.length - 1;
      return this.#installOn(slot, record, data, own, keep);
    });
    const ready = Promise.all(installs).then(() => undefined);
    ready.catch(() => {});
    return { record, ready };
  }

  #installOn(slot: Slot, record: CorpusRecord, data: Float32Array, transferOwn: boolean, acknowledged: boolean): Promise<void> {
    let payload = data;
    const transfer: ArrayBuffer[] = [];
    if (!this.sharedMemory) {
      payload = transferOwn ? data : data.slice();
      transfer.push(payload.buffer as ArrayBuffer);
    }
    const request: DistributiveOmit<PoolRequest, 'id'> = { kind: 'install', corpus: record.id, data: payload, shape: [...record.shape], quiet: !acknowledged };
    if (!acknowledged) {
      this.#post(slot, request, transfer);
      return Promise.resolve();
    }
    const installed = this.#send(slot, request, transfer).then(
      () => undefined,
      (error: Error) => {
        record.failure ??= error;
        throw error;
      },
    );
    installed.catch(() => {});
    return installed;
  }

  /** Drops one user of `record` (`handleReleased`: the handle's own hold); frees it when unused. */
  unuse(record: CorpusRecord, handleReleased: boolean): void {
    if (handleReleased) record.dropWhenUnused = true;
    record.users--;
    if (record.users > 0 || !record.dropWhenUnused || record.dropped) return;
    record.dropped = true;
    record.keep = null;
    this.#corpora.delete(record);
    record.local?.dispose();
    record.local = null;
    for (const slot of this.#slots) {
      try {
        this.#post(slot, { kind: 'release', corpus: record.id }, []);
      } catch {
        // A worker that cannot take messages any more has nothing to free.
      }
    }
  }

  /** The handle's corpus in the calling thread's instance (copied there once, for small calls). */
  #localCorpus(record: CorpusRecord): WasmTensor {
    if (record.local === null) {
      if (record.keep === null) throw new Error('cosinekit internal error: a released corpus was used');
      const tensor = this.#kit.alloc(record.shape);
      tensor.data.set(record.keep);
      record.local = tensor;
    }
    return record.local;
  }

  /**
   * A copy of `source` the workers can read: shared or private. A Float32Array that already
   * lives in a SharedArrayBuffer is used as it is, unless `alwaysCopy`. With `lease`, the
   * shared copy comes from the arena and its buffer is added to `lease`, for the caller to
   * give back once the call is over.
   */
  #snapshot(source: Float32Array | Float64Array | readonly number[], length: number, alwaysCopy = false, lease?: SharedArrayBuffer[]): Float32Array {
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
    return { name, shape: pinned.shape, source: pinned.source };
  }

  /** A handle of this pool that is still usable, as a shaped operand. */
  #handle(value: CorpusHandleImpl, name: string, functionName: string): ShapedOperand & { record: CorpusRecord } {
    const { pool, record } = handleRecord(value);
    if (pool !== this) throw new TypeError(`${functionName}: ${name} is a corpus handle of another pool`);
    if (value.released) throw new TypeError(`${functionName}: ${name} is a released corpus handle`);
    if (record.failure !== null) throw record.failure;
    return { name, shape: record.shape, record };
  }

  // ─────────────────────────── pairwise ───────────────────────────

  async pairwiseCosine(a: TensorLike, b?: TensorLike | CorpusHandle, options?: PoolPairwiseOptions): Promise<Tensor> {
    this.#checkAlive('pairwiseCosine');
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
      this.unuse(corpus, false);
      if (!this.#destroyed) this.#arena.give(lease);
    }
    return { data: out, shape: resultShape };
  }

  /** `b` / `corpus` for a call on the calling thread: a handle becomes its local copy; anything else goes as it is. */
  #onCallingThread<T>(value: T | CorpusHandle, name: string, functionName: string): T | WasmTensor {
    return isHandle(value) ? this.#localCorpus(this.#handle(value, name, functionName).record) : (value as T);
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
    const { record } = this.#installCorpus(data, second === null ? aShape : second.shape, false, transferOwn);
    record.users++;
    return record;
  }

  /** Runs rows `[firstRow, firstRow + rowCount)` of a pairwise product on the workers, into `out`. */
  #pairwiseJob(plan: PairwisePlan, out: Float32Array): Promise<void> {
    const { corpus, rows, firstRow, rowCount, aRows, bRows, depth, eps, scale } = plan;
    const chunkRows = this.#chunkRows(rowCount, bRows * depth);
    return this.#submit((job) => {
      const chunks: Chunk[] = [];
      for (let start = 0; start < rowCount; start += chunkRows) {
        const count = Math.min(chunkRows, rowCount - start);
        const rowStart = firstRow + start;
        chunks.push({
          job,
          work: count * bRows * depth,
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
              request: { kind: 'pairwise', corpus: corpus.id, rows: chunkRowsData, rowStart, rowCount: count, aRows, eps, scale, out: target },
              transfer,
            };
          },
          accept: (reply) => {
            if (!this.sharedMemory) out.set(reply.data as Float32Array, start * bRows);
          },
        });
      }
      return chunks;
    });
  }

  /** Rows per chunk: about CHUNKS_PER_THREAD chunks per thread, none under MIN_CHUNK_WORK, whole tiles. */
  #chunkRows(totalRows: number, workPerRow: number): number {
    const pieces = this.threads === 1 ? 1 : this.threads * CHUNKS_PER_THREAD;
    let rows = Math.max(Math.ceil(totalRows / pieces), Math.ceil(MIN_CHUNK_WORK / workPerRow), 1);
    // Chunks start on a boundary of the kernel's micro-tile rows.
    const tileRows = this.#runtime.constants.tileRows;
    rows = Math.ceil(rows / tileRows) * tileRows;
    return Math.min(rows, totalRows);
  }

  pairwiseCosineBlocks(a: TensorLike, b?: TensorLike | CorpusHandle, options?: PairwiseBlocksOptions): AsyncIterable<PairwiseBlock> {
    this.#checkAlive('pairwiseCosineBlocks');
    const settings = checkOptions(options, BLOCKS_OPTIONS, 'pairwiseCosineBlocks');
    if (glanceWork(glance(a), glance(b ?? a)) < this.parallelThreshold) {
      const blocks = this.#kit.pairwiseCosineBlocks(a, this.#onCallingThread(b, 'b', 'pairwiseCosineBlocks'), settings);
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
    const chunksPerBlock = Math.ceil(blockRows / this.#chunkRows(blockRows, bRows * depth));
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
        pool.unuse(corpus, false);
      }
    }
    return { [Symbol.asyncIterator]: iterate };
  }

  // ─────────────────────────── top-k ───────────────────────────

  async topK(queries: TensorLike, corpus: TensorLike | CorpusHandle, k: number, options?: TopKOptions): Promise<TopKResult> {
    this.#checkAlive('topK');
    const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
    if (glanceWork(glance(queries), glance(corpus)) < this.parallelThreshold) {
      return this.#kit.topK(queries, this.#onCallingThread(corpus, 'corpus', 'topK'), k, settings);
    }
    const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
    const excludeSelf = booleanOption(settings.excludeSelf, false, 'excludeSelf');
    const first = this.#tensor(queries, 'queries');
    const second = isHandle(corpus) ? this.#handle(corpus, 'corpus', 'topK') : this.#tensor(corpus, 'corpus');
    const { aRows: queryRows, bRows: corpusRows, depth } = pairSizes(first, second, 'topK', [2]);
    checkTopK(k, queryRows, corpusRows, excludeSelf);
    // Query chunks skip each query's own row in the kernel (its self offset is the chunk's
    // first query). Corpus slices keep one more candidate each and the merge drops self.
    const listLength = excludeSelf ? k + 1 : k;
    const lease: SharedArrayBuffer[] = [];
    const rows = this.#snapshot(first.source, queryRows * depth, false, lease);
    if (queryRows / this.threads >= MIN_QUERY_CHUNK || this.threads === 1) {
      // By queries: every worker needs the whole corpus (the handle's, or a copy for this call).
      let queryChunk = Math.max(this.#chunkRows(queryRows, corpusRows * depth), MIN_QUERY_CHUNK);
      // Each kernel query block streams (normalises and packs) the whole corpus once, so chunks
      // of whole blocks cost no more corpus passes than one thread does.
      const queryBlock = this.#runtime.constants.queryBlock;
      if (queryChunk > queryBlock) queryChunk = Math.min(Math.ceil(queryChunk / queryBlock) * queryBlock, queryRows);
      const record = this.#corpusFor(second, rows, first.shape, lease);
      try {
        return await this.#topKByQueries(record, rows, queryRows, corpusRows, depth, k, excludeSelf, eps, queryChunk);
      } finally {
        this.unuse(record, false);
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
      if (!(source instanceof Float32Array)) this.unuse(source, false);
      if (!this.#destroyed) this.#arena.give(lease);
    }
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
    await this.#submit((job) => {
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
    const pieces = this.threads * CHUNKS_PER_THREAD;
    let sliceRows = Math.max(Math.ceil(corpusRows / pieces), Math.ceil(MIN_CHUNK_WORK / (queryRows * depth)), listLength);
    const corpusTile = this.#runtime.constants.corpusTile;
    sliceRows = Math.min(Math.ceil(sliceRows / corpusTile) * corpusTile, corpusRows);
    const slices: TopKSlice[] = [];
    await this.#submit((job) => {
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

  setCorpus(corpus: TensorLike): CorpusHandle {
    this.#checkAlive('setCorpus');
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
    const { record, ready } = this.#installCorpus(data, pinned.shape, true, false);
    record.users = 1; // the handle's own hold, dropped by release()
    return new CorpusHandleImpl(this, record, ready);
  }

  destroy(): Promise<void> {
    if (this.#destruction !== null) return this.#destruction;
    this.#destroyed = true;
    const error = new Error('cosinekit: the pool was destroyed before this call finished');
    for (const job of [...this.#jobs]) job.fail(error);
    this.#queue.length = 0;
    for (const record of this.#corpora) {
      record.dropped = true;
      record.keep = null;
      record.local?.dispose();
      record.local = null;
    }
    this.#corpora.clear();
    this.#arena.clear();
    const stopping = this.#slots.map((slot) => {
      slot.alive = false;
      for (const waiter of slot.waiting.values()) waiter.reject(error);
      slot.waiting.clear();
      return slot.thread.terminate().catch(() => {});
    });
    this.#destruction = Promise.all(stopping).then(() => undefined);
    return this.#destruction;
  }

  [asyncDisposeKey](): Promise<void> {
    return this.destroy();
  }
}

/**
 * Starts a pool of worker threads (Node `worker_threads`; module `Worker`s in browsers), each
 * with its own instance of the chosen variant, and resolves once every worker is ready.
 * `pool.destroy()` ends them; in Node, idle workers do not keep the process alive.
 *
 * ```ts
 * const pool = await createPool({ threads: 4 });
 * const corpus = pool.setCorpus({ data: embeddings, shape: [100_000, 384] });
 * const { indices, scores } = await pool.topK(queries, corpus, 10);
 * await pool.destroy();
 * ```
 */
export async function createPool(options?: PoolOptions): Promise<Pool> {
  const settings = checkOptions(options, POOL_OPTIONS, 'createPool');
  const variant = chooseVariant({ variant: settings.variant });
  let threads: number;
  if (settings.threads === undefined) {
    threads = Math.min(await hardwareThreads(), MAX_DEFAULT_THREADS);
  } else {
    const requested: unknown = settings.threads;
    if (typeof requested !== 'number') throw new TypeError(`threads must be an integer, got ${describe(requested)}`);
    if (!Number.isInteger(requested) || requested < 1 || requested > MAX_THREADS) {
      throw new RangeError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${describe(requested)}`);
    }
    threads = requested;
  }
  const available = sharedMemoryAvailable();
  const sharedMemory = booleanOption(settings.sharedMemory, available, 'sharedMemory');
  if (sharedMemory && !available) {
    throw new Error('cosinekit: sharedMemory: true needs SharedArrayBuffer (Node, or a cross-origin-isolated page: COOP same-origin + COEP require-corp)');
  }
  const parallelThreshold = nonNegativeOption(settings.parallelThreshold, DEFAULT_PARALLEL_THRESHOLD, 'parallelThreshold');
  const location: unknown = settings.workerUrl;
  if (location !== undefined && typeof location !== 'string' && !(location instanceof URL)) {
    throw new TypeError(`workerUrl must be a string or a URL, got ${describe(location)}`);
  }
  // Compiled once: the calling thread's instance and every worker's come from this module.
  const module = await WebAssembly.compile(variantBytes(variant));
  const runtime = new Runtime(await WebAssembly.instantiate(module, {}));
  const spawn = await workerFactory(location);
  const pool = new PoolImpl({ threads, variant, sharedMemory, parallelThreshold, module, runtime, spawn });
  await pool.start();
  return pool;
}
