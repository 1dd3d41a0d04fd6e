// cosinekit/inline: the same API as `cosinekit`, with the three variants inlined as base64
// (embedded.ts), for hosts that cannot serve a `.wasm` file: no fetch, no file read, no asset
// for a bundler to copy, and `initSync` wherever the engine compiles synchronously. It shares
// its instance with `cosinekit` when a process loads both: the first `init` wins.

import { EMBEDDED_SOURCE } from './embedded.js';
import type { BackendInfo, Cosinekit } from './kit.js';
import type { InitOptions } from './loader.js';
import { withEveryFamily } from './register.js';
import { shared } from './shared.js';

export * from './api.js';

/**
 * Compiles the fastest inlined variant the engine supports (or `options.variant`, or the
 * module `options.wasm` names). Idempotent: later calls return the first call's result.
 */
export const init = (options?: InitOptions): Promise<BackendInfo> => shared.init(EMBEDDED_SOURCE, options);
/** `init`, synchronously (Node, Bun, Deno, workers; browsers refuse synchronous compiles of this size on the main thread). */
export const initSync = (options?: InitOptions): BackendInfo => shared.initSync(EMBEDDED_SOURCE, options);
/** A new, independent instance of the requested variant (its own memory and tensors). */
export const createInstance: (options?: InitOptions) => Promise<Cosinekit> = /* @__PURE__ */ withEveryFamily((options?: InitOptions) => shared.createInstance(EMBEDDED_SOURCE, options));
/** `createInstance`, compiled synchronously (Node, workers). */
export const createInstanceSync: (options?: InitOptions) => Cosinekit = /* @__PURE__ */ withEveryFamily((options?: InitOptions) => shared.createInstanceSync(EMBEDDED_SOURCE, options));
