// cosinekit: cosine similarity, normalisation and friends in WebAssembly SIMD, with
// PyTorch semantics. Call `await init()` once, then use the functions below.

import { type BackendInfo, type Cosinekit, bind, createInstance, createInstanceSync } from './api.js';
import { type InitOptions, chooseVariant, instantiate, instantiateSync, isVariantSupported } from './loader.js';
import type { Variant } from './runtime.js';
import type { CosineOptions, NormalizeOptions } from './similarity.js';
import type { Shape } from './shapes.js';
import type { Tensor, TensorLike, WasmTensor } from './tensor.js';

export type { BackendInfo, Cosinekit, CosineOptions, InitOptions, NormalizeOptions, Shape, Tensor, TensorLike, Variant };
export { WasmTensor } from './tensor.js';
export { createInstance, createInstanceSync, isVariantSupported };

let current: Cosinekit | null = null;
let pending: Promise<BackendInfo> | null = null;

function instance(caller: string): Cosinekit {
  if (current === null) {
    throw new Error(`cosinekit is not initialised: call \`await init()\` (or \`initSync()\` in Node) before ${caller}()`);
  }
  return current;
}

/**
 * Loads the fastest variant the engine supports (or `options.variant`). Idempotent: later
 * calls return the first call's instance, whatever their options.
 */
export function init(options?: InitOptions): Promise<BackendInfo> {
  if (current !== null) return Promise.resolve(current.backendInfo());
  if (pending === null) {
    pending = (async () => {
      const runtime = await instantiate(chooseVariant(options));
      current ??= bind(runtime);
      return current.backendInfo();
    })();
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

/** {@link init}, synchronously (Node and workers; browsers refuse synchronous compiles of this size on the main thread). */
export function initSync(options?: InitOptions): BackendInfo {
  if (current === null) current = bind(instantiateSync(chooseVariant(options)));
  return current.backendInfo();
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

/** Bytes allocated from the default instance's WASM heap (for leak checks). */
export function heapBytesInUse(): number {
  return instance('heapBytesInUse').heapBytesInUse();
}
