// cosinekit: cosine similarity, normalisation and friends in WebAssembly SIMD, with
// PyTorch semantics. Call `await init()` once, then use the functions below.

import { type BackendInfo, type Cosinekit, bind, createInstance, createInstanceSync } from './api.js';
import { type InitOptions, chooseVariant, instantiate, instantiateSync, isVariantSupported } from './loader.js';
import type { Variant } from './runtime.js';
import type {
  ClipLossOptions,
  ClipLossResult,
  CosineEmbeddingLossOptions,
  InfoNCEOptions,
  InfoNCEResult,
  ReducedLoss,
  Reduction,
} from './losses.js';
import type { PairwiseBlock, PairwiseBlocksOptions, PairwiseOptions, TopKOptions, TopKResult } from './pairwise.js';
import type { CosineOptions, NormalizeOptions } from './similarity.js';
import type { Shape } from './shapes.js';
import type { Tensor, TensorLike, WasmTensor } from './tensor.js';

export type {
  BackendInfo,
  ClipLossOptions,
  ClipLossResult,
  CosineEmbeddingLossOptions,
  InfoNCEOptions,
  InfoNCEResult,
  ReducedLoss,
  Reduction,
  Cosinekit,
  CosineOptions,
  InitOptions,
  NormalizeOptions,
  PairwiseBlock,
  PairwiseBlocksOptions,
  PairwiseOptions,
  Shape,
  Tensor,
  TensorLike,
  TopKOptions,
  TopKResult,
  Variant,
};
export { WasmTensor } from './tensor.js';
export { createInstance, createInstanceSync, isVariantSupported };

let current: Cosinekit | null = null;
/** What the first successful `init`/`initSync` returned: every later call returns this same object. */
let first: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** Binds the first instance and records its result (an instance loaded by a call that lost a race is dropped). */
function adopt(load: () => Cosinekit): BackendInfo {
  if (first === null) {
    current = load();
    first = Object.freeze(current.backendInfo());
  }
  return first;
}

function instance(caller: string): Cosinekit {
  if (current === null) {
    throw new Error(`cosinekit is not initialised: call \`await init()\` (or \`initSync()\` in Node) before ${caller}()`);
  }
  return current;
}

/**
 * Loads the fastest variant the engine supports (or `options.variant`). Idempotent: later
 * calls keep the first instance, whatever their options, and return the first call's
 * result, the same (frozen) object; {@link backendInfo} tells the current memory size.
 */
export function init(options?: InitOptions): Promise<BackendInfo> {
  if (first !== null) return Promise.resolve(first);
  if (pending === null) {
    pending = (async () => {
      const runtime = await instantiate(chooseVariant(options));
      return adopt(() => bind(runtime));
    })();
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

/** {@link init}, synchronously (Node and workers; browsers refuse synchronous compiles of this size on the main thread). */
export function initSync(options?: InitOptions): BackendInfo {
  return first ?? adopt(() => bind(instantiateSync(chooseVariant(options))));
}

/** The variant in use and its memory size. */
export function backendInfo(): BackendInfo {
  return instance('backendInfo').backendInfo();
}

/** A zero-filled tensor in WASM memory: kernels read and write it with no copy. */
export function alloc(shape: Shape): WasmTensor {
  return instance('alloc').alloc(shape);
}

/**
 * Cosine similarity along `dim` (default 1) of two broadcast operands, exactly as
 * PyTorch's `F.cosine_similarity`: `Σ x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps))`, output
 * shape = broadcast shape without `dim`. `dim` may be a list of dims.
 */
export function cosineSimilarity(x1: TensorLike, x2: TensorLike, options?: CosineOptions): Tensor {
  return instance('cosineSimilarity').cosineSimilarity(x1, x2, options);
}

/** `1 - cosineSimilarity(x1, x2, options)`. */
export function cosineDistance(x1: TensorLike, x2: TensorLike, options?: CosineOptions): Tensor {
  return instance('cosineDistance').cosineDistance(x1, x2, options);
}

/** `x / max(‖x‖ₚ, eps)` along `dim` (default p = 2, dim = 1, eps = 1e-12), as `F.normalize`. */
export function normalize(x: TensorLike, options?: NormalizeOptions): Tensor {
  return instance('normalize').normalize(x, options);
}

/**
 * The cosine matrix: `a` `[N,D]`, `b` `[M,D]` → `[N,M]`; `[B,N,D]` × `[B,M,D]` → `[B,N,M]`;
 * `b` omitted ⇒ `a` with itself. Entry `[i,j]` = `scale · cosineSimilarity(a[i], b[j], {dim: 0, eps})`.
 */
export function pairwiseCosine(a: TensorLike, b?: TensorLike, options?: PairwiseOptions): Tensor {
  return instance('pairwiseCosine').pairwiseCosine(a, b, options);
}

/** The pairwise matrix of `a` `[N,D]` and `b` `[M,D]` as blocks of rows, for results larger than memory. */
export function pairwiseCosineBlocks(a: TensorLike, b?: TensorLike, options?: PairwiseBlocksOptions): Iterable<PairwiseBlock> {
  return instance('pairwiseCosineBlocks').pairwiseCosineBlocks(a, b, options);
}

/**
 * For each query row, the `k` corpus rows with the highest cosine similarity, sorted by score
 * (ties: lower index first; NaN first, as torch.topk). Streams over the corpus: memory
 * O(Q·k + one tile). `k = 1` is the per-row argmax.
 */
export function topK(queries: TensorLike, corpus: TensorLike, k: number, options?: TopKOptions): TopKResult {
  return instance('topK').topK(queries, corpus, k, options);
}

/** The mean of the `[N,M]` cosine matrix (of `a` with itself when `b` is omitted), without building it. */
export function meanCosine(a: TensorLike, b?: TensorLike): number {
  return instance('meanCosine').meanCosine(a, b);
}

/**
 * NT-Xent / InfoNCE over `features` `[2N, D]`: rows L2-normalised (eps 1e-12), logits
 * `cos/τ` with the diagonal excluded, positive of row i = i XOR 1 ('interleaved') or i ± N
 * ('halves'), cross-entropy per row, mean over the 2N rows. `grad: true` adds d loss / d features.
 */
export function infoNCE<R extends Reduction = 'mean'>(features: TensorLike, options?: InfoNCEOptions<R>): InfoNCEResult<R> {
  return instance('infoNCE').infoNCE(features, options);
}

/**
 * CLIP loss (open_clip's ClipLoss): logits `logitScale · Î·T̂ᵀ`, (CE over rows + CE over
 * columns) / 2 with labels 0..N−1. `grad: true` adds gradients for image, text and log(logitScale).
 */
export function clipLoss(image: TensorLike, text: TensorLike, options?: ClipLossOptions): ClipLossResult {
  return instance('clipLoss').clipLoss(image, text, options);
}

/** `nn.CosineEmbeddingLoss` exactly, except that a target other than ±1 is a RangeError. */
export function cosineEmbeddingLoss<R extends Reduction = 'mean'>(
  x1: TensorLike,
  x2: TensorLike,
  target: Int8Array | Int32Array | Float32Array | Float64Array | readonly number[],
  options?: CosineEmbeddingLossOptions<R>,
): ReducedLoss<R> {
  return instance('cosineEmbeddingLoss').cosineEmbeddingLoss(x1, x2, target, options);
}

/** Bytes allocated from the default instance's WASM heap (for leak checks). */
export function heapBytesInUse(): number {
  return instance('heapBytesInUse').heapBytesInUse();
}
export { createPool } from './pool.js';
export type { CorpusHandle, Pool, PoolOptions, PoolPairwiseOptions } from './pool.js';
