// The API bound to one instance. The package's top-level functions use the default
// instance (set up by init / initSync); createInstance gives independent ones, e.g. one
// per variant side by side.

import { type InitOptions, chooseVariant, instantiate, instantiateSync } from './loader.js';
import type { Runtime, Variant } from './runtime.js';
import {
  type ClipLossOptions,
  type ClipLossResult,
  type CosineEmbeddingLossOptions,
  type InfoNCEOptions,
  type InfoNCEResult,
  type ReducedLoss,
  type Reduction,
  clipLossIn,
  cosineEmbeddingLossIn,
  infoNCEIn,
} from './losses.js';
import {
  type PairwiseBlock,
  type PairwiseBlocksOptions,
  type PairwiseOptions,
  type TopKOptions,
  type TopKResult,
  meanCosineIn,
  pairwiseCosineBlocksIn,
  pairwiseCosineIn,
  topKIn,
} from './pairwise.js';
import { type CosineOptions, type NormalizeOptions, cosineDistanceIn, cosineSimilarityIn, normalizeIn } from './similarity.js';
import type { Shape } from './shapes.js';
import { type Tensor, type TensorLike, type WasmTensor, allocTensor } from './tensor.js';

/** Which build is running and how much WASM memory it holds. */
export interface BackendInfo {
  variant: Variant;
  memoryBytes: number;
}

/** The whole API, bound to one wasm instance. */
export interface Cosinekit {
  /** The variant in use and the current size of its memory. */
  backendInfo(): BackendInfo;
  /** A zero-filled tensor in this instance's WASM memory (passed to kernels without a copy). */
  alloc(shape: Shape): WasmTensor;
  /** `F.cosine_similarity(x1, x2, dim, eps)` with broadcasting; `dim` may be a list. */
  cosineSimilarity(x1: TensorLike, x2: TensorLike, options?: CosineOptions): Tensor;
  /** `1 - cosineSimilarity(x1, x2, options)`. */
  cosineDistance(x1: TensorLike, x2: TensorLike, options?: CosineOptions): Tensor;
  /** `F.normalize(x, p, dim, eps)`: `x / max(‖x‖ₚ, eps)` along `dim`. */
  normalize(x: TensorLike, options?: NormalizeOptions): Tensor;
  /** The `[N,M]` (or batched `[B,N,M]`) matrix of `scale · cos(a[i], b[j])`; `b` omitted means `a` with itself. */
  pairwiseCosine(a: TensorLike, b?: TensorLike, options?: PairwiseOptions): Tensor;
  /** The pairwise matrix as row blocks, for results larger than memory. */
  pairwiseCosineBlocks(a: TensorLike, b?: TensorLike, options?: PairwiseBlocksOptions): Iterable<PairwiseBlock>;
  /** The `k` most similar corpus rows per query, streamed (never the Q×N matrix). */
  topK(queries: TensorLike, corpus: TensorLike, k: number, options?: TopKOptions): TopKResult;
  /** The mean of the pairwise cosine matrix, in O((N + M)·D). */
  meanCosine(a: TensorLike, b?: TensorLike): number;
  /** NT-Xent (SimCLR) loss of `[2N, D]` features, optionally with its gradient. */
  infoNCE<R extends Reduction = 'mean'>(features: TensorLike, options?: InfoNCEOptions<R>): InfoNCEResult<R>;
  /** CLIP's symmetric cross-entropy over `logitScale · Î·T̂ᵀ`, optionally with gradients. */
  clipLoss(image: TensorLike, text: TensorLike, options?: ClipLossOptions): ClipLossResult;
  /** `nn.CosineEmbeddingLoss`; a target other than ±1 is a RangeError. */
  cosineEmbeddingLoss<R extends Reduction = 'mean'>(
    x1: TensorLike,
    x2: TensorLike,
    target: Int8Array | Int32Array | Float32Array | Float64Array | readonly number[],
    options?: CosineEmbeddingLossOptions<R>,
  ): ReducedLoss<R>;
  /** Bytes allocated from the WASM heap right now (WasmTensors and anything in flight). */
  heapBytesInUse(): number;
}

export function bind(runtime: Runtime): Cosinekit {
  return {
    backendInfo: () => ({ variant: runtime.variant, memoryBytes: runtime.buffer.byteLength }),
    alloc: (shape) => allocTensor(runtime, shape),
    cosineSimilarity: (x1, x2, options) => cosineSimilarityIn(runtime, x1, x2, options),
    cosineDistance: (x1, x2, options) => cosineDistanceIn(runtime, x1, x2, options),
    normalize: (x, options) => normalizeIn(runtime, x, options),
    pairwiseCosine: (a, b, options) => pairwiseCosineIn(runtime, a, b, options),
    pairwiseCosineBlocks: (a, b, options) => pairwiseCosineBlocksIn(runtime, a, b, options),
    topK: (queries, corpus, k, options) => topKIn(runtime, queries, corpus, k, options),
    meanCosine: (a, b) => meanCosineIn(runtime, a, b),
    infoNCE: <R extends Reduction = 'mean'>(features: TensorLike, options?: InfoNCEOptions<R>) =>
      infoNCEIn(runtime, features, options) as InfoNCEResult<R>,
    clipLoss: (image, text, options) => clipLossIn(runtime, image, text, options),
    cosineEmbeddingLoss: <R extends Reduction = 'mean'>(
      x1: TensorLike,
      x2: TensorLike,
      target: Int8Array | Int32Array | Float32Array | Float64Array | readonly number[],
      options?: CosineEmbeddingLossOptions<R>,
    ) => cosineEmbeddingLossIn(runtime, x1, x2, target, options) as ReducedLoss<R>,
    heapBytesInUse: () => runtime.heapBytesInUse(),
  };
}

/** A new, independent instance of the requested variant (its own memory and tensors). */
export async function createInstance(options?: InitOptions): Promise<Cosinekit> {
  return bind(await instantiate(chooseVariant(options)));
}

/** {@link createInstance}, compiled synchronously (Node, workers). */
export function createInstanceSync(options?: InitOptions): Cosinekit {
  return bind(instantiateSync(chooseVariant(options)));
}
