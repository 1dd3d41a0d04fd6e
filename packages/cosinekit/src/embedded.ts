// `cosinekit/inline`'s modules: the three variants' full modules inlined as base64 (see
// scripts/embed-wasm.mjs), for hosts that cannot serve a .wasm asset. No fetch, no file
// path, no bundler configuration; the price is every variant's bytes in the JS. Asked for
// a core module, it compiles the full one (which holds everything the core one does).

import { type ModuleSource, compileBytesSync, moduleKey, packageModules } from './loader.js';
import type { Variant } from './runtime.js';
import { wasmBase64 as relaxedBase64 } from './wasm/relaxed.generated.js';
import { wasmBase64 as scalarBase64 } from './wasm/scalar.generated.js';
import { wasmBase64 as simd128Base64 } from './wasm/simd128.generated.js';

const EMBEDDED: Readonly<Record<Variant, string>> = {
  relaxed: relaxedBase64,
  simd128: simd128Base64,
  scalar: scalarBase64,
};
/** Compiled modules by variant and kind, shared with the default entry's assets (the same bytes). */
const compiled = packageModules;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function origin(variant: Variant): string {
  return `the inlined ${variant} module`;
}

export const EMBEDDED_SOURCE: ModuleSource = {
  description: 'inlined in cosinekit/inline',
  async compile(variant) {
    const key = moduleKey(variant, 'full');
    const done = compiled.get(key);
    if (done !== undefined) return done;
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(decodeBase64(EMBEDDED[variant]));
    } catch (thrown) {
      throw new Error(`cosinekit: ${origin(variant)} does not compile here (${String(thrown)})`, { cause: thrown });
    }
    compiled.set(key, module);
    return module;
  },
  compileSync(variant) {
    const key = moduleKey(variant, 'full');
    const done = compiled.get(key);
    if (done !== undefined) return done;
    const module = compileBytesSync(decodeBase64(EMBEDDED[variant]), origin(variant));
    compiled.set(key, module);
    return module;
  },
};
