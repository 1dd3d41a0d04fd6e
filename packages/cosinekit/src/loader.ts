// Picks and instantiates a wasm variant. The variants are embedded as base64 (see
// scripts/embed-wasm.mjs), so loading needs no fetch, no file path and no bundler plugin.
// `auto` probes with WebAssembly.validate on the variant modules themselves: relaxed-simd if
// the engine validates it, else simd128, else scalar.

import { Runtime, type Variant } from './runtime.js';
import { checkOptions, describe } from './validate.js';
import { wasmBase64 as relaxedBase64 } from './wasm/relaxed.generated.js';
import { wasmBase64 as scalarBase64 } from './wasm/scalar.generated.js';
import { wasmBase64 as simd128Base64 } from './wasm/simd128.generated.js';

/** Options of `init`, `initSync` and `createInstance`. */
export interface InitOptions {
  /** Which build to load. `auto` (default) picks the fastest the engine supports. */
  variant?: 'auto' | Variant;
}

const EMBEDDED: Readonly<Record<Variant, string>> = {
  relaxed: relaxedBase64,
  simd128: simd128Base64,
  scalar: scalarBase64,
};
const PREFERENCE: readonly Variant[] = ['relaxed', 'simd128', 'scalar'];
const decoded = new Map<Variant, Uint8Array<ArrayBuffer>>();
const supported = new Map<Variant, boolean>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** The bytes of a variant's module. */
export function variantBytes(variant: Variant): Uint8Array<ArrayBuffer> {
  let bytes = decoded.get(variant);
  if (bytes === undefined) {
    bytes = decodeBase64(EMBEDDED[variant]);
    decoded.set(variant, bytes);
  }
  return bytes;
}

function checkVariant(value: unknown, name: string): Variant {
  if (value === 'relaxed' || value === 'simd128' || value === 'scalar') return value;
  const error = typeof value === 'string' ? RangeError : TypeError;
  throw new error(`${name} must be 'relaxed', 'simd128' or 'scalar', got ${describe(value)}`);
}

/** Whether this engine can compile a variant (relaxed-simd needs Node ≥ 22, Chrome ≥ 114, Firefox ≥ 120). */
export function isVariantSupported(variant: Variant): boolean {
  checkVariant(variant, 'variant');
  let answer = supported.get(variant);
  if (answer === undefined) {
    answer = typeof WebAssembly === 'object' && WebAssembly.validate(variantBytes(variant));
    supported.set(variant, answer);
  }
  return answer;
}

/** Resolves `options.variant` to a variant this engine supports, or throws. */
export function chooseVariant(options: unknown): Variant {
  const settings = checkOptions(options, ['variant'], 'init');
  const requested: unknown = settings.variant ?? 'auto';
  if (requested === 'auto') {
    const best = PREFERENCE.find(isVariantSupported);
    if (best === undefined) throw new Error('cosinekit: this engine cannot compile any cosinekit WebAssembly module');
    return best;
  }
  if (requested !== 'relaxed' && requested !== 'simd128' && requested !== 'scalar') {
    const error = typeof requested === 'string' ? RangeError : TypeError;
    throw new error(`variant must be 'auto', 'relaxed', 'simd128' or 'scalar', got ${describe(requested)}`);
  }
  if (!isVariantSupported(requested)) {
    const hint =
      requested === 'relaxed'
        ? ' (relaxed-simd needs Node ≥ 22 or `node --experimental-wasm-relaxed-simd` on Node 20, Chrome ≥ 114, Firefox ≥ 120)'
        : '';
    throw new Error(`cosinekit: this engine does not support the ${requested} variant${hint}`);
  }
  return requested;
}

/** The compiled module of a variant (the pool compiles once and instantiates it in every worker). */
export function compileVariant(variant: Variant): Promise<WebAssembly.Module> {
  return WebAssembly.compile(variantBytes(variant));
}

export async function instantiate(variant: Variant): Promise<Runtime> {
  const module = await compileVariant(variant);
  const instance = await WebAssembly.instantiate(module, {});
  return new Runtime(instance);
}

/** Synchronous compile: fine in Node and workers; browsers refuse it on the main thread for modules over 4 KB. */
export function instantiateSync(variant: Variant): Runtime {
  const module = new WebAssembly.Module(variantBytes(variant));
  return new Runtime(new WebAssembly.Instance(module, {}));
}
