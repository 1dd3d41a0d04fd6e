// The messages between a pool (pool.ts) and its workers (worker.ts). Every request has
// an id and gets exactly one reply with that id, except `install` with `quiet` and `release`,
// which get none (a failed quiet install is reported by the tasks that use the corpus). A
// worker handles requests one at a time, in the order they were posted, so a corpus
// installed before a task is there when the task runs.
//
// Row data travels either as views of SharedArrayBuffers (nothing is copied by postMessage)
// or as ArrayBuffers transferred with the message; results are written into shared outputs
// when the request carries them, else sent back transferred.

import type { StorageDtype, Variant } from '../runtime.js';

/**
 * Instantiate the pool's compiled module (first request to every worker): the exact build the
 * calling thread runs, compiled once; the worker bundle carries no wasm of its own.
 */
export interface InitRequest {
  kind: 'init';
  id: number;
  module: WebAssembly.Module;
  /** The variant `module` is, checked by the worker against what the instance reports. */
  variant: Variant;
}

/** Copy a corpus into the worker's wasm memory and keep it there under `corpus`. */
export interface InstallRequest {
  kind: 'install';
  id: number;
  corpus: number;
  /**
   * Row-major float32 data of `shape`, or a quantised corpus's stored elements: `length`
   * elements at `byteOffset` of `buffer` (shared, or transferred). A buffer, not a typed
   * array view: Deno clones views over postMessage about 100× slower than buffers.
   */
  buffer: ArrayBufferLike;
  byteOffset: number;
  length: number;
  /** `[M, D]` or `[B, M, D]` (in dimensions for a quantised corpus). */
  shape: number[];
  /** A quantised corpus: its dtype, ranges and thresholds; null for float32 rows. */
  storage: { dtype: StorageDtype; ranges: Float32Array | null; thresholds: Float32Array | null } | null;
  /** Send no reply (a corpus for one call: its tasks follow at once). */
  quiet: boolean;
}

/** Free an installed corpus (no reply). */
export interface ReleaseRequest {
  kind: 'release';
  id: number;
  corpus: number;
}

/**
 * Rows `[rowStart, rowStart + rowCount)` of the pairwise matrix, rows counted across batches
 * (`batch · aRows + row`), against the installed corpus `[M,D]` or `[B,M,D]`.
 */
export interface PairwiseRequest {
  kind: 'pairwise';
  id: number;
  corpus: number;
  /** The chunk's rows of `a` (`rowCount × D`), or null: they are rows of the corpus itself (`b` omitted). */
  rows: Float32Array | null;
  rowStart: number;
  rowCount: number;
  /** Rows of `a` per batch (N). */
  aRows: number;
  /** The corpus rows (columns of the result) this chunk computes: `[columnStart, columnStart + columnCount)` of each batch. */
  columnStart: number;
  columnCount: number;
  eps: number;
  scale: number;
  /** Where to write (a shared view of the chunk's `rowCount` whole result rows, `rowCount × M`), or null: send its `rowCount × columnCount` values back. */
  out: Float32Array | null;
}

/**
 * Top-k of queries `[queryStart, queryStart + queryCount)` over corpus rows
 * `[corpusStart, corpusStart + corpusCount)` of an installed `[N,D]` corpus, or of the rows
 * the request carries. Indices in the reply count from `corpusStart` (the merge adds it).
 * Over an installed quantised corpus the search is the quantised one, float queries encoded
 * as the corpus was, without rescoring (the pool rescores the merged candidates); `path` is
 * then not used.
 */
export interface TopKRequest {
  kind: 'topk';
  id: number;
  /** The installed corpus (ignored when `corpusRows` is set). */
  corpus: number;
  /** The corpus rows `[corpusStart, corpusStart + corpusCount)` themselves, or null: use `corpus`. */
  corpusRows: Float32Array | null;
  /** The chunk's queries (`queryCount × D`). */
  queries: Float32Array;
  queryStart: number;
  queryCount: number;
  corpusStart: number;
  corpusCount: number;
  /** Neighbours per query the kernel keeps. */
  k: number;
  /** The queries are the corpus: query row `i` skips corpus row `queryStart + i` (the kernel's self offset). */
  excludeSelf: boolean;
  /** The kernel path of the whole call (`ck_topk_path` of its query count): every chunk scores as the whole call does. */
  path: number;
  eps: number;
  /** Where to write the `queryCount × kept` indices and scores (shared views), or null: send them back. */
  outIndices: Int32Array | null;
  outScores: Float32Array | null;
}

export type PoolRequest = InitRequest | InstallRequest | ReleaseRequest | PairwiseRequest | TopKRequest;

/** An error thrown in a worker, as plain data (rebuilt as the same class on the pool's side). */
export interface ErrorData {
  name: string;
  message: string;
}

export interface SuccessReply {
  id: number;
  ok: true;
  /** `init`: the variant the worker runs. */
  variant?: Variant;
  /** `pairwise` without `out`: the rows of the result. */
  data?: Float32Array;
  /** `topk` without outputs: the lists. */
  indices?: Int32Array;
  scores?: Float32Array;
}

export interface FailureReply {
  id: number;
  ok: false;
  error: ErrorData;
}

export type PoolReply = SuccessReply | FailureReply;
