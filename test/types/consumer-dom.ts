// With the DOM lib, the platform's own types are module sources: WebAssembly.Module, URL, Response.
import { init, type CompiledWasmModule } from 'cosinekit';
export async function f(bytes: ArrayBuffer): Promise<void> {
  const module = await WebAssembly.compile(bytes);
  const typed: CompiledWasmModule = module;
  await init({ wasm: module });
  await init({ wasm: new URL('https://x/y.wasm') });
  await init({ wasm: await fetch('https://x/y.wasm') });
  void typed;
}
