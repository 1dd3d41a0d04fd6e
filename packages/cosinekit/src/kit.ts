// The API, declared once. Each member of `Cosinekit` is the only declaration of its function
// and its documentation: the package's top-level functions are the members of the shared
// default instance (index.ts), `createInstance` returns new instances, and the pool's workers
// run instances too. Members are arrow functions, so they can be taken off an instance
// (`const { cosine } = kit`) and still know it. Every member validates, plans and calls one
// kernel through the functions of its family module. The losses and the storage formats are
// reached through the families registered (families.ts), never imported here, so that a
// bundle which uses neither leaves their code out.

import type { Families, LossFamily, StorageFamily } from './families.js';
import { type Runtime, type Variant } from './runtime.js';
import {
  type ClipLossOptions,
  type ClipLossResult,
  type CosineEmbeddingLossOptions,
  type InfoNCEOptions,
  type InfoNCEResult,
  type MocoLossOptions,
  type MocoLossResult,
  type MultipleNegativesRankingLossOptions,
  type MultipleNegativesRankingLossResult,
  type ReducedLoss,
  type Reduction,
  type SigLipLossOptions,
  type SigLipLossResult,
  type SupConLossOptions,
  type SupConLossResult,
  type TripletLossOptions,
  type TripletLossResult,
} from './losses.js';
import {
  type PairwiseBlock,
  type PairwiseBlocksOptions,
  type PairwiseOptions,
  type TopKOptions,
  type TopKResult,
  runMeanCosine,
  runPairwiseCosine,
  runPairwiseCosineBlocks,
  runTopK,
} from './pairwise.js';
import {
  type CosineOptions,
  type NormalizeOptions,
  type PairOptions,
  type Vector,
  runCosine,
  runCosineSimilarity,
  runNormalize,
} from './similarity.js';
import type { QuantizeOptions, QuantizedLike, QuantizedTensor, QuantizedTopKOptions } from './quantized.js';
import { type Tensor, type TensorLike, type WasmTensor, allocTensor } from './tensor.js';
import { type Shape, isQuantizedValue } from './validate.js';

/** Which build is running and how much WASM memory it holds. */
export interface BackendInfo {
  variant: Variant;
  memoryBytes: number;
}

/** Targets of `cosineEmbeddingLoss`: each entry 1 or −1. */
export type EmbeddingTargets = Int8Array | Int32Array | Float32Array | Float64Array | readonly number[];

/** Labels of `supConLoss`: one integer per row (any int32, negatives included). */
export type SupConLabels = Int32Array | readonly number[];

/** Where an instance finds its runtime (its own, or the shared default one once `init` has run) and the families registered. */
export interface RuntimeSlot {
  runtime: Runtime | null;
  families: Families;
}

/** The Error a member of a family throws when the family is not registered, or the instance's module lacks it. */
function missingFamily(runtime: Runtime, caller: string, family: string, unregistered: boolean): Error {
  const losses = family === 'the losses';
  const imported = losses ? 'a loss function' : 'quantize or QuantizedTensor';
  return new Error(
    unregistered
      ? `cosinekit: ${caller}() needs ${family}, whose code this bundle left out because the program imports no ${losses ? 'loss function' : 'quantize or QuantizedTensor'}: import ${imported} from cosinekit (before init() runs)`
      : `cosinekit: ${caller}() needs ${family}, and this instance runs the ${runtime.variant} core module, which has none: init() loads the full module (cosinekit-${runtime.variant}.wasm) when ${imported} was imported before it ran; pass init({ wasm }) that module if you load it yourself`,
  );
}

/** The whole API, bound to one wasm instance (its own memory, tensors and scratch). */
export class Cosinekit {
  readonly #slot: RuntimeSlot;

  /** @internal Use `init()` for the shared instance, `createInstance()` for another. */
  constructor(slot: RuntimeSlot) {
    if (typeof slot !== 'object' || slot === null || !('runtime' in slot) || !('families' in slot)) {
      throw new TypeError('Cosinekit instances come from init() (the shared one) or createInstance(); it has no public constructor');
    }
    this.#slot = slot;
  }

  #runtime(caller: string): Runtime {
    const runtime = this.#slot.runtime;
    if (runtime === null) {
      throw new Error(`cosinekit is not initialised: call \`await init()\` (or \`initSync()\` in Node) before ${caller}()`);
    }
    return runtime;
  }

  /** The loss functions, for `runtime`: registered, and the module has their kernels. */
  #losses(runtime: Runtime, caller: string): LossFamily {
    const family = this.#slot.families.losses;
    if (family === null || !runtime.hasLosses) throw missingFamily(runtime, caller, 'the losses', family === null);
    return family;
  }

  /** The storage-format functions, for `runtime`: registered, and the module has their kernels. */
  #storage(runtime: Runtime, caller: string): StorageFamily {
    const family = this.#slot.families.storage;
    if (family === null || !runtime.hasStorageFormats) throw missingFamily(runtime, caller, 'the storage formats', family === null);
    return family;
  }

  /** The variant in use and the current size of its WASM memory. */
  backendInfo = (): BackendInfo => {
    const runtime = this.#runtime('backendInfo');
    return { variant: runtime.variant, memoryBytes: runtime.buffer.byteLength };
  };

  /** A zero-filled tensor in this instance's WASM memory: kernels read and write it with no copy. */
  alloc = (shape: Shape): WasmTensor => allocTensor(this.#runtime('alloc'), shape);

  /**
   * The cosine similarity of two vectors of equal length, as a number: the wasm kernel's
   * `Σ a·b / (max(‖a‖, eps) · max(‖b‖, eps))` (default eps 1e-8, each norm clamped
   * separately, as PyTorch), bit for bit `cosineSimilarity({ data: a, shape: [D] }, { data:
   * b, shape: [D] }, { dim: 0, eps })`. Nothing is allocated per call; a Float32Array that
   * views WASM memory is read where it is. Zero vector ⇒ 0; NaN or ±∞ in either ⇒ NaN.
   */
  cosine = (a: Vector, b: Vector, options?: PairOptions): number => runCosine(this.#runtime('cosine'), a, b, options);

  /**
   * Cosine similarity along `dim` (default 1) of two broadcast operands, exactly as
   * PyTorch's `F.cosine_similarity`: `Σ x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps))`, output
   * shape = the broadcast shape without `dim`. `dim` may be a list of dims. Not clamped to
   * [-1, 1] unless `clamp: true`.
   */
  cosineSimilarity = (x1: TensorLike, x2: TensorLike, options?: CosineOptions): Tensor =>
    runCosineSimilarity(this.#runtime('cosineSimilarity'), x1, x2, options, false);

  /** `1 - cosineSimilarity(x1, x2, options)`, in the kernel. */
  cosineDistance = (x1: TensorLike, x2: TensorLike, options?: CosineOptions): Tensor =>
    runCosineSimilarity(this.#runtime('cosineDistance'), x1, x2, options, true);

  /** `x / max(‖x‖ₚ, eps)` along `dim` (default p = 2, dim = 1, eps = 1e-12), as `F.normalize`; `out` may be `x` (in place). */
  normalize = (x: TensorLike, options?: NormalizeOptions): Tensor => runNormalize(this.#runtime('normalize'), x, options);

  /**
   * The cosine matrix: `a` `[N,D]`, `b` `[M,D]` → `[N,M]`; `[B,N,D]` × `[B,M,D]` → `[B,N,M]`;
   * `b` omitted ⇒ `a` with itself. Entry `[i,j]` = `scale · cosineSimilarity(a[i], b[j], {dim: 0, eps})`.
   * Quantised operands (one dtype, `[N,D]`): the cosine of the vectors their codes stand for
   * (float16 values; int8 codes; uint8 `u − 128`; binary ±1 per bit, `(D − 2·hamming) / D`).
   */
  pairwiseCosine = (a: TensorLike | QuantizedLike, b?: TensorLike | QuantizedLike, options?: PairwiseOptions): Tensor => {
    const runtime = this.#runtime('pairwiseCosine');
    return isQuantizedValue(a) || isQuantizedValue(b)
      ? this.#storage(runtime, 'pairwiseCosine').runPairwiseQuantized(runtime, a, b, options)
      : runPairwiseCosine(runtime, a, b, options);
  };

  /** The pairwise matrix of `a` `[N,D]` and `b` `[M,D]` as blocks of rows, for results larger than memory. */
  pairwiseCosineBlocks = (a: TensorLike, b?: TensorLike, options?: PairwiseBlocksOptions): Iterable<PairwiseBlock> =>
    runPairwiseCosineBlocks(this.#runtime('pairwiseCosineBlocks'), a, b, options);

  /**
   * For each query row (a 1-D query `[D]` is one row), the `k` corpus rows with the highest
   * cosine similarity, sorted by score (ties: lower index first; NaN first, as torch.topk).
   * Streams over the corpus: memory O(Q·k + one tile). `k = 1` is the per-row argmax.
   *
   * A quantised corpus (QuantizedTensor or `{ dtype, data, shape }`): float queries are
   * encoded like it (its dtype, ranges and thresholds; against float16 they stay float32),
   * quantised queries must match it; scores are the quantised cosines (see `pairwiseCosine`).
   * `rescore` re-ranks the best `min(N, k · multiplier)` (default ×4) by the float32 cosine of
   * the float query with `rescore.vectors` rows, else with the decoded corpus rows, and
   * returns those cosines.
   */
  topK = (queries: TensorLike | QuantizedLike, corpus: TensorLike | QuantizedLike, k: number, options?: TopKOptions | QuantizedTopKOptions): TopKResult => {
    const runtime = this.#runtime('topK');
    return isQuantizedValue(corpus) || isQuantizedValue(queries)
      ? this.#storage(runtime, 'topK').runTopKQuantized(runtime, queries, corpus, k, options)
      : runTopK(runtime, queries, corpus, k, options);
  };

  /**
   * Encodes float rows `[N, D]` for storage, in WASM memory: `int8`/`uint8` exactly as
   * sentence-transformers' `quantize_embeddings` (per-dim ranges from `ranges`, else from the
   * `calibration` rows, else from `x`; codes clamped to the type), `binary`/`ubinary` as packed
   * bits `x > threshold` (`np.packbits` order; thresholds 0, or per-dim means of
   * `calibration`, or `thresholds`), `float16` rounded to nearest even.
   */
  quantize = (x: TensorLike, options: QuantizeOptions): QuantizedTensor => {
    const runtime = this.#runtime('quantize');
    return this.#storage(runtime, 'quantize').runQuantize(runtime, x, options);
  };

  /** The mean of the `[N,M]` cosine matrix (of `a` with itself when `b` is omitted), in O((N + M)·D), without building it. */
  meanCosine = (a: TensorLike, b?: TensorLike): number => runMeanCosine(this.#runtime('meanCosine'), a, b);

  /**
   * NT-Xent / InfoNCE over `features` `[2N, D]`: rows L2-normalised (eps 1e-12), logits
   * `cos/τ` with the diagonal excluded, positive of row i = i XOR 1 ('interleaved') or i ± N
   * ('halves'), cross-entropy per row, mean over the 2N rows. `grad: true` adds `grad`, d loss / d features.
   */
  infoNCE = <R extends Reduction = 'mean', G extends boolean = false>(features: TensorLike, options?: InfoNCEOptions<R, G>): InfoNCEResult<R, G> => {
    const runtime = this.#runtime('infoNCE');
    return this.#losses(runtime, 'infoNCE').runInfoNCE(runtime, features, options) as InfoNCEResult<R, G>;
  };

  /**
   * CLIP loss (open_clip's ClipLoss): logits `logitScale · Î·T̂ᵀ`, (CE over rows + CE over
   * columns) / 2 with labels 0..N−1. `grad: true` adds `gradImage`, `gradText` and
   * `gradLogitScale` (d loss / d log(logitScale)).
   */
  clipLoss = <G extends boolean = false>(image: TensorLike, text: TensorLike, options?: ClipLossOptions<G>): ClipLossResult<G> => {
    const runtime = this.#runtime('clipLoss');
    return this.#losses(runtime, 'clipLoss').runClipLoss(runtime, image, text, options) as ClipLossResult<G>;
  };

  /**
   * SigLIP loss (open_clip's SigLipLoss): logits `logitScale · Î·T̂ᵀ + logitBias` (defaults
   * 10 and −10), label +1 on the diagonal and −1 elsewhere, loss `−Σᵢⱼ log σ(label·logit) / N`.
   * `grad: true` adds `gradImage`, `gradText`, `gradLogitScale` (d loss / d log(logitScale))
   * and `gradLogitBias`.
   */
  sigLipLoss = <G extends boolean = false>(image: TensorLike, text: TensorLike, options?: SigLipLossOptions<G>): SigLipLossResult<G> => {
    const runtime = this.#runtime('sigLipLoss');
    return this.#losses(runtime, 'sigLipLoss').runSigLipLoss(runtime, image, text, options) as SigLipLossResult<G>;
  };

  /**
   * sentence-transformers' MultipleNegativesRankingLoss: scores `scale · cos(anchorᵢ,
   * candidateⱼ)` (default scale 20) over all M ≥ N candidates (the first N are the
   * positives, the rest hard negatives), cross-entropy with labels 0..N−1, mean over the N
   * anchors. `grad: true` adds `gradAnchors` and `gradCandidates`.
   */
  multipleNegativesRankingLoss = <G extends boolean = false>(
    anchors: TensorLike,
    candidates: TensorLike,
    options?: MultipleNegativesRankingLossOptions<G>,
  ): MultipleNegativesRankingLossResult<G> => {
    const runtime = this.#runtime('multipleNegativesRankingLoss');
    return this.#losses(runtime, 'multipleNegativesRankingLoss').runMultipleNegativesRankingLoss(runtime, anchors, candidates, options) as MultipleNegativesRankingLossResult<G>;
  };

  /**
   * `nn.TripletMarginWithDistanceLoss` with `distance_function = 1 − F.cosine_similarity`
   * (eps 1e-8, inputs not normalised): per row `max(0, d(a,p) − d(a,n) + margin)`, margin
   * > 0 (default 1), reduced by `reduction` ('mean' default, 'sum', or 'none' for a
   * Float32Array of the N row losses). `grad: true` adds `gradAnchor`, `gradPositive` and
   * `gradNegative` (for 'none', the gradients of the sum of the row losses).
   */
  tripletLoss = <R extends Reduction = 'mean', G extends boolean = false>(
    anchor: TensorLike,
    positive: TensorLike,
    negative: TensorLike,
    options?: TripletLossOptions<R, G>,
  ): TripletLossResult<R, G> => {
    const runtime = this.#runtime('tripletLoss');
    return this.#losses(runtime, 'tripletLoss').runTripletLoss(runtime, anchor, positive, negative, options) as TripletLossResult<R, G>;
  };

  /**
   * MoCo's InfoNCE: per query, logits `[q̂·k̂, q̂·Q̂ᵀ] / temperature` (default 0.07) against
   * its key and the K queue rows, cross-entropy with label 0, mean over the N queries; rows
   * normalised with eps 1e-12. The queue is swept in tiles (never an N × K matrix).
   * `grad: true` adds `gradQuery`; the key and the queue get no gradient (momentum encoder).
   */
  mocoLoss = <G extends boolean = false>(query: TensorLike, key: TensorLike, queue: TensorLike, options?: MocoLossOptions<G>): MocoLossResult<G> => {
    const runtime = this.#runtime('mocoLoss');
    return this.#losses(runtime, 'mocoLoss').runMocoLoss(runtime, query, key, queue, options) as MocoLossResult<G>;
  };

  /**
   * Supervised contrastive loss (Khosla et al., `contrast_mode = 'all'`, one view per row):
   * rows L2-normalised (eps 1e-12); for anchor i with positives P(i) = the other rows with
   * its label, `−(τ/τ_base) · mean_{p∈P(i)} log(exp(zᵢ·zₚ/τ) / Σ_{a≠i} exp(zᵢ·zₐ/τ))`
   * (defaults τ = τ_base = 0.07), mean over the anchors that have a positive — an anchor
   * without one is left out (the reference code divides 0 by 0 there) and stays in the
   * others' denominators. Labels are any int32 values; all distinct ⇒ RangeError. Computed
   * in tiles (never an N × N matrix). `grad: true` adds `grad`, d loss / d features.
   */
  supConLoss = <G extends boolean = false>(features: TensorLike, labels: SupConLabels, options?: SupConLossOptions<G>): SupConLossResult<G> => {
    const runtime = this.#runtime('supConLoss');
    return this.#losses(runtime, 'supConLoss').runSupConLoss(runtime, features, labels, options) as SupConLossResult<G>;
  };

  /** `nn.CosineEmbeddingLoss` exactly, except that a target other than ±1 is a RangeError. */
  cosineEmbeddingLoss = <R extends Reduction = 'mean'>(
    x1: TensorLike,
    x2: TensorLike,
    target: EmbeddingTargets,
    options?: CosineEmbeddingLossOptions<R>,
  ): ReducedLoss<R> => {
    const runtime = this.#runtime('cosineEmbeddingLoss');
    return this.#losses(runtime, 'cosineEmbeddingLoss').runCosineEmbeddingLoss(runtime, x1, x2, target, options) as ReducedLoss<R>;
  };

  /** Bytes allocated from this instance's WASM heap by WasmTensors and calls in flight (for leak checks). */
  heapBytesInUse = (): number => this.#runtime('heapBytesInUse').heapBytesInUse();
}
