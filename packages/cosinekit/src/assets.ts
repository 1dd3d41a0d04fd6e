// The default entry's modules: `cosinekit-<variant>.wasm` (the whole ABI) and
// `cosinekit-<variant>-core.wasm` (no losses, no storage formats), files next to the built
// JS in dist/, loaded only for the variant and kind in use. Each URL is written out as
// `new URL('./cosinekit-….wasm', import.meta.url)`, the pattern bundlers (Vite, webpack 5,
// Parcel, esbuild with a loader) recognise to copy the asset and rewrite its URL, so no
// plugin is needed. Browsers fetch it and compile while it streams; Node, Bun and Deno read
// the file. The CJS build has no import.meta: there the files are found next to __filename.

import {
  type ModuleKind,
  type ModuleSource,
  compileBytes,
  compileBytesSync,
  compileUrl,
  moduleKey,
  packageModules,
  readLocalFile,
  readLocalFileSync,
  readUrlSync,
} from './loader.js';
import type { Variant } from './runtime.js';

declare const __dirname: string | undefined;

/** Where a module's asset is: a URL (ESM), or a path next to this file (CJS). */
function assetLocation(variant: Variant, kind: ModuleKind): URL | string {
  const moduleUrl: string | undefined = import.meta.url;
  if (typeof moduleUrl !== 'string' || moduleUrl === '') {
    if (typeof __dirname === 'string') return `${__dirname}/cosinekit-${variant}${kind === 'core' ? '-core' : ''}.wasm`;
    throw new Error('cosinekit: cannot locate the .wasm assets (no import.meta.url and no __dirname); pass init({ wasm }) or use cosinekit/inline');
  }
  // One literal `new URL` per file, so that bundlers see each asset.
  if (kind === 'core') {
    switch (variant) {
      case 'relaxed':
        return new URL('./cosinekit-relaxed-core.wasm', import.meta.url);
      case 'simd128':
        return new URL('./cosinekit-simd128-core.wasm', import.meta.url);
      case 'scalar':
        return new URL('./cosinekit-scalar-core.wasm', import.meta.url);
    }
  }
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

/** Compiled modules by variant and kind, shared with cosinekit/inline (createInstance and createPool reuse them: one download per module). */
const compiled = packageModules;
const pending = new Map<string, Promise<WebAssembly.Module>>();

function originOf(variant: Variant, kind: ModuleKind, location: URL | string): string {
  return `the ${variant} ${kind === 'core' ? 'core ' : ''}module (${describeLocation(location)})`;
}

async function compileAsset(variant: Variant, kind: ModuleKind): Promise<WebAssembly.Module> {
  const location = assetLocation(variant, kind);
  const origin = originOf(variant, kind, location);
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
  compile(variant, kind) {
    const key = moduleKey(variant, kind);
    const done = compiled.get(key);
    if (done !== undefined) return Promise.resolve(done);
    let promise = pending.get(key);
    if (promise === undefined) {
      promise = compileAsset(variant, kind).then(
        (module) => {
          compiled.set(key, module);
          pending.delete(key);
          return module;
        },
        (error: unknown) => {
          pending.delete(key);
          throw error;
        },
      );
      pending.set(key, promise);
    }
    return promise;
  },
  compileSync(variant, kind) {
    const key = moduleKey(variant, kind);
    const done = compiled.get(key);
    if (done !== undefined) return done;
    const location = assetLocation(variant, kind);
    const origin = originOf(variant, kind, location);
    const bytes = typeof location === 'string' ? readLocalFileSync(location, origin) : readUrlSync(location, origin);
    if (bytes === null) {
      throw new Error(
        `cosinekit: initSync cannot load ${origin} synchronously here; use await init(), initSync({ wasm }) with the bytes or a compiled WebAssembly.Module, or cosinekit/inline`,
      );
    }
    const module = compileBytesSync(bytes as Uint8Array<ArrayBuffer>, origin);
    compiled.set(key, module);
    return module;
  },
};
