// The pool's public types: its options, the pool itself and corpus handles.

import type { WasmSource } from '../loader.js';
import type { PairwiseBlock, PairwiseBlocksOptions, TopKOptions, TopKResult } from '../pairwise.js';
import type { QuantizedLike, QuantizedTopKOptions } from '../quantized.js';
import type { StorageDtype, Variant } from '../runtime.js';
import type { Tensor, TensorLike } from '../tensor.js';
import type { Shape } from '../validate.js';

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
   * The module every worker runs, as `init({ wasm })` takes it (a URL, Response, bytes or a
   * compiled module), for hosts that serve the `.wasm` elsewhere. Default: the chosen
   * variant's asset next to the package, compiled once and posted to the workers.
   */
  wasm?: WasmSource;
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
  /** The corpus shape: `[M, D]`, or `[B, M, D]` for batched `pairwiseCosine` (a quantised corpus: `[M, D]` in dimensions). */
  readonly shape: Shape;
  /** `'float32'`, or the storage format of a quantised corpus (which serves `topK` only). */
  readonly dtype: 'float32' | StorageDtype;
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
   *
   * A quantised corpus (QuantizedTensor, QuantizedLike, or a handle of one) takes float
   * queries, encoded as the corpus was, and the options of the single-thread quantised topK
   * (`rescore` included): the workers find each query's candidates, and the rescoring runs on
   * the calling thread over those candidates only; results are bitwise the single-thread ones.
   * Quantised queries are refused (TypeError): pass them to the single-thread topK.
   */
  topK(queries: TensorLike, corpus: TensorLike | QuantizedLike | CorpusHandle, k: number, options?: TopKOptions | QuantizedTopKOptions): Promise<TopKResult>;
  /**
   * Copies `corpus` (`[M,D]`, or `[B,M,D]` for batched pairwise) into every worker once and
   * returns a handle to pass as `b` / `corpus` to later calls. It is validated and read now;
   * the copies into the workers happen in the background (see {@link CorpusHandle.ready}).
   * A quantised corpus (QuantizedTensor or QuantizedLike: its stored rows, ranges and
   * thresholds) gives a handle for `topK`; the pairwise functions refuse it (TypeError).
   */
  setCorpus(corpus: TensorLike | QuantizedLike): CorpusHandle;
  /**
   * Terminates every worker and frees every corpus. Calls in progress reject; later calls
   * reject with an Error saying the pool was destroyed. Idempotent.
   */
  destroy(): Promise<void>;
  /** `destroy()`, for `await using pool = await createPool()`. */
  [Symbol.asyncDispose](): Promise<void>;
}
