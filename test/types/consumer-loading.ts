// What the loading options promise to a strict consumer (ES2022 lib: no DOM, no WebAssembly
// types): init({ wasm }) takes a URL string, an object with an href, bytes, or a Response-shaped
// value; cosinekit/inline exports the same functions with the same types.

import { type BackendInfo, type InitOptions, type WasmSource, createInstanceSync, init, initSync } from 'cosinekit';
import * as inline from 'cosinekit/inline';
import { createPool } from 'cosinekit/pool';

export async function loading(bytes: ArrayBuffer, view: Uint8Array, response: { ok: boolean; status: number; url: string; bodyUsed: boolean; headers: { get(name: string): string | null }; arrayBuffer(): Promise<ArrayBuffer> }): Promise<BackendInfo> {
  const sources: WasmSource[] = ['https://cdn.example.com/cosinekit-simd128.wasm', { href: 'file:///x/cosinekit-scalar.wasm' }, bytes, view, response];
  const options: InitOptions = { variant: 'auto', wasm: sources[0] };
  initSync({ wasm: bytes, variant: 'scalar' });
  createInstanceSync({ wasm: view });
  // @ts-expect-error a number is no module source
  await init({ wasm: 42 });
  // @ts-expect-error variants are the three names or 'auto'
  await init({ variant: 'simd256' });
  const pool = await createPool({ wasm: bytes, threads: 1 });
  await pool.destroy();
  const same: typeof init = inline.init;
  const sameSync: typeof initSync = inline.initSync;
  const info: BackendInfo = await same(options);
  sameSync();
  const cos: number = inline.cosine([1, 0], [0, 1]);
  return cos > 0 ? info : await init();
}
