// cosinekit: cosine similarity, normalisation and friends in WebAssembly SIMD, with
// PyTorch semantics. Call `await init()` once, then use the functions of api.ts; they are the
// members of one shared `Cosinekit` instance, where each is declared and documented (kit.ts).
// This entry loads only the variant it picks, as the `.wasm` asset next to it (assets.ts);
// `cosinekit/inline` (inline.ts) is the same API with the modules inlined.

import { ASSET_SOURCE } from './assets.js';
import type { BackendInfo, Cosinekit } from './kit.js';
import type { InitOptions } from './loader.js';
import { withEveryFamily } from './register.js';
import { shared } from './shared.js';

export * from './api.js';

/**
 * Loads the fastest variant the engine supports (or `options.variant`), fetching only its
 * `.wasm` asset (or the module `options.wasm` names). Idempotent: later calls keep the first
 * instance, whatever their options, and return the first call's result, the same (frozen)
 * object; `backendInfo()` tells the current memory size.
 */
export const init = (options?: InitOptions): Promise<BackendInfo> => shared.init(ASSET_SOURCE, options);
/**
 * `init`, synchronously: reads the asset from disk in Node, Bun and Deno (a synchronous request
 * in browser workers), or compiles the bytes or module passed as `wasm`. Browsers' main
 * threads cannot: use `await init()` there.
 */
export const initSync = (options?: InitOptions): BackendInfo => shared.initSync(ASSET_SOURCE, options);
/** A new, independent instance of the requested variant (its own memory and tensors). */
export const createInstance: (options?: InitOptions) => Promise<Cosinekit> = /* @__PURE__ */ withEveryFamily((options?: InitOptions) => shared.createInstance(ASSET_SOURCE, options));
/** `createInstance`, compiled synchronously (where `initSync` works). */
export const createInstanceSync: (options?: InitOptions) => Cosinekit = /* @__PURE__ */ withEveryFamily((options?: InitOptions) => shared.createInstanceSync(ASSET_SOURCE, options));
