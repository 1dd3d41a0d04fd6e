// The state behind both entries (`cosinekit`: index.ts, `cosinekit/inline`: inline.ts): one
// shared Cosinekit instance, its loading functions (each entry passes where its module comes
// from, a ModuleSource: assets.ts or embedded.ts), the families registered (families.ts) and
// the WasmTensor class.
//
// One process may load this file twice, as ESM and as CJS (a CJS dependency next to ESM
// code), or through both entries. The first copy to load registers its state on globalThis;
// a later copy of the same version exports that copy's functions and classes, so all share
// one initialised instance, and a WasmTensor made through one is a WasmTensor to the other.

import { type Families, moduleKindFor } from './families.js';
import { type BackendInfo, Cosinekit, type RuntimeSlot } from './kit.js';
import { type InitOptions, type ModuleSource, instantiate, instantiateSync, isVariantSupported as variantSupported } from './loader.js';
import { ABI_VERSION, type Runtime, type Variant } from './runtime.js';
import { WasmTensor as WasmTensorHere } from './tensor.js';

declare const __COSINEKIT_VERSION__: string;

/** What every copy of this version of the package shares (each entry passes its own module source). */
export interface Shared {
  kit: Cosinekit;
  /** Filled in by the entries as the program imports loss and storage-format functions (api.ts). */
  families: Families;
  init(source: ModuleSource, options?: InitOptions): Promise<BackendInfo>;
  initSync(source: ModuleSource, options?: InitOptions): BackendInfo;
  createInstance(source: ModuleSource, options?: InitOptions): Promise<Cosinekit>;
  createInstanceSync(source: ModuleSource, options?: InitOptions): Cosinekit;
  isVariantSupported(variant: Variant): boolean;
  WasmTensor: typeof WasmTensorHere;
}

function makeShared(): Shared {
  const families: Families = { losses: null, storage: null };
  const slot: RuntimeSlot = { runtime: null, families };
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
    families,
    // The shared instance runs the core module unless a family is registered when it loads.
    init(source, options) {
      if (first !== null) return Promise.resolve(first);
      if (pending === null) {
        pending = (async () => {
          const runtime = await instantiate(source, options, 'init', moduleKindFor(families));
          return adopt(() => runtime);
        })();
        pending.catch(() => {
          pending = null;
        });
      }
      return pending;
    },
    initSync(source, options) {
      return first ?? adopt(() => instantiateSync(source, options, 'initSync', moduleKindFor(families)));
    },
    // Other instances have the whole API: the full module (createInstance registers every family).
    async createInstance(source, options) {
      return new Cosinekit({ runtime: await instantiate(source, options, 'createInstance', 'full'), families });
    },
    createInstanceSync(source, options) {
      return new Cosinekit({ runtime: instantiateSync(source, options, 'createInstanceSync', 'full'), families });
    },
    isVariantSupported: variantSupported,
    WasmTensor: WasmTensorHere,
  };
}

const SHARED_KEY = Symbol.for(`cosinekit ${__COSINEKIT_VERSION__} (ABI ${ABI_VERSION})`);
const registry = globalThis as { [SHARED_KEY]?: Shared };
/** @internal The state every copy shares; the entries bind its loading functions to their module source. */
export const shared: Shared = registry[SHARED_KEY] ?? (registry[SHARED_KEY] = makeShared());
