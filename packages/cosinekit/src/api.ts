// The API bound to one instance. The package's top-level functions use the default
// instance (set up by init / initSync); createInstance gives independent ones, e.g. one
// per variant side by side.

import { type InitOptions, chooseVariant, instantiate, instantiateSync } from './loader.js';
import type { Runtime, Variant } from './runtime.js';
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
  /** Bytes allocated from the WASM heap right now (WasmTensors and anything in flight). */
  heapBytesInUse(): number;
}

export function bind(runtime: Runtime): Cosinekit {
  return {
    backendInfo: () => ({ variant: runtime.variant, memoryBytes: runtime.memory.buffer.byteLength }),
    alloc: (shape) => allocTensor(runtime, shape),
    cosineSimilarity: (x1, x2, options) => cosineSimilarityIn(runtime, x1, x2, options),
    cosineDistance: (x1, x2, options) => cosineDistanceIn(runtime, x1, x2, options),
    normalize: (x, options) => normalizeIn(runtime, x, options),
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
