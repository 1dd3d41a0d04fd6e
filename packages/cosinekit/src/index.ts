// cosinekit: cosine similarity, normalisation and friends in WebAssembly SIMD, with
// PyTorch semantics. Call `await init()` once, then use the functions below; they are the
// members of one shared `Cosinekit` instance, where each is declared and documented (kit.ts).
//
// One process may load this file twice, as ESM and as CJS (a CJS dependency next to ESM
// code). The first copy to load registers its state on globalThis; a later copy of the same
// version exports that copy's functions and classes, so both share one initialised instance,
// and a WasmTensor made through one is a WasmTensor to the other.

import { type BackendInfo, Cosinekit, type RuntimeSlot } from './kit.js';
import { type InitOptions, chooseVariant, instantiate, instantiateSync, isVariantSupported as variantSupported } from './loader.js';
import { ABI_VERSION, type Runtime, type Variant } from './runtime.js';
import { QuantizedTensor as QuantizedTensorHere } from './quantized.js';
import { WasmTensor as WasmTensorHere } from './tensor.js';

export type { BackendInfo, EmbeddingTargets } from './kit.js';
export type { Cosinekit };
export type {
  ClipGradients,
  ClipLossOptions,
  ClipLossResult,
  CosineEmbeddingLossOptions,
  GradFields,
  InfoNCEOptions,
  InfoNCEResult,
  MultipleNegativesRankingGradients,
  MultipleNegativesRankingLossOptions,
  MultipleNegativesRankingLossResult,
  ReducedLoss,
  Reduction,
  SigLipGradients,
  SigLipLossOptions,
  SigLipLossResult,
} from './losses.js';
export type { PairwiseBlock, PairwiseBlocksOptions, PairwiseOptions, TopKOptions, TopKResult } from './pairwise.js';
export type { CosineOptions, NormalizeOptions, PairOptions, Vector } from './similarity.js';
export type { Shape } from './validate.js';
export type { QuantizeOptions, QuantizedData, QuantizedLike, QuantizedTopKOptions, RescoreOptions, StorageDtype } from './quantized.js';
export type { Tensor, TensorData, TensorLike } from './tensor.js';
export type { InitOptions, Variant };

declare const __COSINEKIT_VERSION__: string;

/** What every copy of this version of the package shares. */
interface Shared {
  kit: Cosinekit;
  init(options?: InitOptions): Promise<BackendInfo>;
  initSync(options?: InitOptions): BackendInfo;
  createInstance(options?: InitOptions): Promise<Cosinekit>;
  createInstanceSync(options?: InitOptions): Cosinekit;
  isVariantSupported(variant: Variant): boolean;
  WasmTensor: typeof WasmTensorHere;
  QuantizedTensor: typeof QuantizedTensorHere;
}

function makeShared(): Shared {
  const slot: RuntimeSlot = { runtime: null };
  const kit = new Cosinekit(slot);
  /** What the first successful `init`/`initSync` returned: every later call returns this same object. */
  let first: BackendInfo | null = null;
  let pending: Promise<BackendInfo> | null = null;
  // An instance loaded by a call that lost a race is dropped.
  const adopt = (load: () => Runtime): BackendInfo => {
    if (first === null) {
      slot.runtime = load();
      first = Object.freeze(kit.backendInfo());
    }
    return first;
  };
  return {
    kit,
    init(options) {
      if (first !== null) return Promise.resolve(first);
      if (pending === null) {
        pending = (async () => {
          const runtime = await instantiate(chooseVariant(options));
          return adopt(() => runtime);
        })();
        pending.catch(() => {
          pending = null;
        });
      }
      return pending;
    },
    initSync(options) {
      return first ?? adopt(() => instantiateSync(chooseVariant(options)));
    },
    async createInstance(options) {
      return new Cosinekit({ runtime: await instantiate(chooseVariant(options)) });
    },
    createInstanceSync(options) {
      return new Cosinekit({ runtime: instantiateSync(chooseVariant(options)) });
    },
    isVariantSupported: variantSupported,
    WasmTensor: WasmTensorHere,
    QuantizedTensor: QuantizedTensorHere,
  };
}

const SHARED_KEY = Symbol.for(`cosinekit ${__COSINEKIT_VERSION__} (ABI ${ABI_VERSION})`);
const registry = globalThis as { [SHARED_KEY]?: Shared };
const shared: Shared = registry[SHARED_KEY] ?? (registry[SHARED_KEY] = makeShared());

/**
 * Loads the fastest variant the engine supports (or `options.variant`). Idempotent: later
 * calls keep the first instance, whatever their options, and return the first call's
 * result, the same (frozen) object; `backendInfo()` tells the current memory size.
 */
export const init: (options?: InitOptions) => Promise<BackendInfo> = shared.init;
/** `init`, synchronously (Node and workers; browsers refuse synchronous compiles of this size on the main thread). */
export const initSync: (options?: InitOptions) => BackendInfo = shared.initSync;
/** A new, independent instance of the requested variant (its own memory and tensors). */
export const createInstance: (options?: InitOptions) => Promise<Cosinekit> = shared.createInstance;
/** `createInstance`, compiled synchronously (Node, workers). */
export const createInstanceSync: (options?: InitOptions) => Cosinekit = shared.createInstanceSync;
/** Whether this engine can compile a variant (relaxed-simd needs Node ≥ 22, Chrome ≥ 114, Firefox ≥ 120). */
export const isVariantSupported: (variant: Variant) => boolean = shared.isVariantSupported;
/** A float32 tensor in WASM memory (see `alloc`). */
export const WasmTensor: typeof WasmTensorHere = shared.WasmTensor;
export type WasmTensor = WasmTensorHere;
/** Quantised or half-precision rows in WASM memory (see `quantize`). */
export const QuantizedTensor: typeof QuantizedTensorHere = shared.QuantizedTensor;
export type QuantizedTensor = QuantizedTensorHere;

// The functions of the shared instance: each is declared and documented once, on Cosinekit.
export const {
  backendInfo,
  alloc,
  cosine,
  cosineSimilarity,
  cosineDistance,
  normalize,
  pairwiseCosine,
  pairwiseCosineBlocks,
  topK,
  quantize,
  meanCosine,
  infoNCE,
  clipLoss,
  sigLipLoss,
  multipleNegativesRankingLoss,
  cosineEmbeddingLoss,
  heapBytesInUse,
} = shared.kit;
