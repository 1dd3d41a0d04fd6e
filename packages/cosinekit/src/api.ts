// The public API both entries share (`cosinekit`: index.ts, `cosinekit/inline`: inline.ts):
// the functions of the one shared Cosinekit instance (each declared and documented once, on
// Cosinekit in kit.ts), the tensor classes and the public types. The entries add the
// functions that load a module, each from its own source.
//
// A loss or storage-format function is exported through a call that registers its family
// (families.ts) and is marked pure: a bundler drops the call, and the family's code with it,
// when the program does not import the function; `init` then loads the core module.

import type { Cosinekit } from './kit.js';
import { lossMember, quantizedTensorClass, storageMember } from './register.js';
import type { InitOptions } from './loader.js';
import type { Variant } from './runtime.js';
import { shared } from './shared.js';
import type { QuantizedTensor as QuantizedTensorHere } from './quantized.js';
import type { WasmTensor as WasmTensorHere } from './tensor.js';

export type { BackendInfo, EmbeddingTargets, SupConLabels } from './kit.js';
export type { Cosinekit };
export type {
  ClipGradients,
  ClipLossOptions,
  ClipLossResult,
  CosineEmbeddingLossOptions,
  GradFields,
  InfoNCEOptions,
  InfoNCEResult,
  MocoGradients,
  MocoLossOptions,
  MocoLossResult,
  MultipleNegativesRankingGradients,
  MultipleNegativesRankingLossOptions,
  MultipleNegativesRankingLossResult,
  ReducedLoss,
  Reduction,
  SigLipGradients,
  SigLipLossOptions,
  SigLipLossResult,
  SupConGradients,
  SupConLossOptions,
  SupConLossResult,
  TripletGradients,
  TripletLossOptions,
  TripletLossResult,
} from './losses.js';
export type { PairwiseBlock, PairwiseBlocksOptions, PairwiseOptions, TopKOptions, TopKResult } from './pairwise.js';
export type { CosineOptions, NormalizeOptions, PairOptions, Vector } from './similarity.js';
export type { Shape } from './validate.js';
export type { QuantizeOptions, QuantizedData, QuantizedLike, QuantizedTopKOptions, RescoreOptions, StorageDtype } from './quantized.js';
export type { Tensor, TensorData, TensorLike } from './tensor.js';
export type { CompiledWasmModule, WasmResponse, WasmSource } from './loader.js';
export type { InitOptions, Variant };

/** Whether this engine can compile a variant (relaxed-simd needs Node ≥ 22, Chrome ≥ 114, Firefox ≥ 120). */
export const isVariantSupported: (variant: Variant) => boolean = shared.isVariantSupported;
/** A float32 tensor in WASM memory (see `alloc`). */
export const WasmTensor: typeof WasmTensorHere = shared.WasmTensor;
export type WasmTensor = WasmTensorHere;

/** Quantised or half-precision rows in WASM memory (see `quantize`). */
export const QuantizedTensor: typeof QuantizedTensorHere = /* @__PURE__ */ quantizedTensorClass();
export type QuantizedTensor = QuantizedTensorHere;

// The functions of the shared instance: each is declared and documented once, on Cosinekit.
export const { backendInfo, alloc, cosine, cosineSimilarity, cosineDistance, normalize, pairwiseCosine, pairwiseCosineBlocks, topK, meanCosine, heapBytesInUse } =
  shared.kit;
export const quantize: Cosinekit['quantize'] = /* @__PURE__ */ storageMember('quantize');
export const infoNCE: Cosinekit['infoNCE'] = /* @__PURE__ */ lossMember('infoNCE');
export const clipLoss: Cosinekit['clipLoss'] = /* @__PURE__ */ lossMember('clipLoss');
export const sigLipLoss: Cosinekit['sigLipLoss'] = /* @__PURE__ */ lossMember('sigLipLoss');
export const multipleNegativesRankingLoss: Cosinekit['multipleNegativesRankingLoss'] = /* @__PURE__ */ lossMember('multipleNegativesRankingLoss');
export const tripletLoss: Cosinekit['tripletLoss'] = /* @__PURE__ */ lossMember('tripletLoss');
export const mocoLoss: Cosinekit['mocoLoss'] = /* @__PURE__ */ lossMember('mocoLoss');
export const supConLoss: Cosinekit['supConLoss'] = /* @__PURE__ */ lossMember('supConLoss');
export const cosineEmbeddingLoss: Cosinekit['cosineEmbeddingLoss'] = /* @__PURE__ */ lossMember('cosineEmbeddingLoss');
