// The default entry's modules: `cosinekit-<variant>.wasm`, files next to the built JS in
// dist/, loaded only for the variant in use. Each URL is written out as
// `new URL('./cosinekit-….wasm', import.meta.url)`, the pattern bundlers (Vite, webpack 5,
// Parcel, esbuild with a loader) recognise to copy the asset and rewrite its URL, so no
// plugin is needed. Browsers fetch it and compile while it streams; Node, Bun and Deno read
// the file. The CJS build has no import.meta: there the files are found next to __filename.

import { type ModuleSource, compileBytes, compileBytesSync, compileUrl, readLocalFile, readLocalFileSync, readUrlSync } from './loader.js';
import type { Variant } from './runtime.js';

declare const __dirname: string | undefined;

/** Where a variant's asset is: a URL (ESM), or a path next to this file (CJS). */
function assetLocation(variant: Variant): URL | string {
  const moduleUrl: string | undefined = import.meta.url;
  if (typeof moduleUrl !== 'string' || moduleUrl === '') {
    if (typeof __dirname === 'string') return `${__dirname}/cosinekit-${variant}.wasm`;
    throw new Error('cosinekit: cannot locate the .wasm assets (no import.meta.url and no __dirname); pass init({ wasm }) or use cosinekit/inline');
  }
  // One literal `new URL` per file, so that bundlers see each asset.
  switch (variant) {
    case 'relaxed':
      return new URL('./cosinekit-relaxed.wasm', import.meta.url);
    case 'simd128':
      return new URL('./cosinekit-simd128.wasm', import.meta.url);
    case 'scalar':
      return new URL('./cosinekit-scalar.wasm', import.meta.url);
  }
}

function describeLocation(location: URL | string): string {
  return typeof location === 'string' ? location : location.href;
}

/** Compiled modules by variant (createInstance and createPool reuse them: one download per variant). */
const compiled = new Map<Variant, WebAssembly.Module>();
const pending = new Map<Variant, Promise<WebAssembly.Module>>();

async function compileAsset(variant: Variant): Promise<WebAssembly.Module> {
  const location = assetLocation(variant);
  const origin = `the ${variant} module (${describeLocation(location)})`;
  if (typeof location === 'string') {
    // CJS: a path. Node, Bun and Deno read it.
    const bytes = await readLocalFile(location, origin);
    if (bytes === null) throw new Error(`cosinekit: cannot read ${origin}: this engine has no file system; pass init({ wasm }) or use cosinekit/inline`);
    return compileBytes(bytes as Uint8Array<ArrayBuffer>, origin);
  }
  return compileUrl(location, origin);
}

export const ASSET_SOURCE: ModuleSource = {
  description: 'the .wasm asset next to the package',
  compile(variant) {
    const done = compiled.get(variant);
    if (done !== undefined) return Promise.resolve(done);
    let promise = pending.get(variant);
    if (promise === undefined) {
      promise = compileAsset(variant).then(
        (module) => {
          compiled.set(variant, module);
          pending.delete(variant);
          return module;
        },
        (error: unknown) => {
          pending.delete(variant);
          throw error;
        },
      );
      pending.set(variant, promise);
    }
    return promise;
  },
  compileSync(variant) {
    const done = compiled.get(variant);
    if (done !== undefined) return done;
    const location = assetLocation(variant);
    const origin = `the ${variant} module (${describeLocation(location)})`;
    const bytes = typeof location === 'string' ? readLocalFileSync(location, origin) : readUrlSync(location, origin);
    if (bytes === null) {
      throw new Error(
        `cosinekit: initSync cannot load ${origin} synchronously here; use await init(), initSync({ wasm }) with the bytes or a compiled WebAssembly.Module, or cosinekit/inline`,
      );
    }
    const module = compileBytesSync(bytes as Uint8Array<ArrayBuffer>, origin);
    compiled.set(variant, module);
    return module;
  },
};
