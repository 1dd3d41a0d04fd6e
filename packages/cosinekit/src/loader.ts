// Picks a wasm variant and turns a source of its module into a running instance. Where the
// bytes come from is a `ModuleSource`: the `.wasm` assets next to the package (assets.ts, the
// default entry) or base64 inlined into the JS (embedded.ts, `cosinekit/inline`); or the
// caller's own, through `init({ wasm })`. `auto` probes the engine with tiny modules (a few
// dozen bytes each, below) instead of the variants themselves, so that choosing a variant
// downloads nothing: relaxed-simd if the engine validates it, else simd128, else scalar.

import { ABI_VERSION, Runtime, type Variant } from './runtime.js';
import { checkOptions, describe } from './validate.js';

/**
 * A compiled `WebAssembly.Module`. Typed through `globalThis`, so the declarations also
 * compile against the ES2022 lib alone, which has no WebAssembly types (the DOM lib and
 * @types/node have them; `WebAssembly.Module` is then this type).
 */
export type CompiledWasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never) => infer Compiled } }
  ? Compiled
  : never;

/** The parts of a fetch `Response` that `init({ wasm })` reads. */
export interface WasmResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly bodyUsed: boolean;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Where `init({ wasm })` takes the module from, instead of the asset next to the package: a
 * URL (a `URL`, or an absolute URL string: fetched, or read from disk for `file:` in Node,
 * Deno and Bun), a fetch `Response` (compiled while it streams when it is served as
 * `application/wasm`), the module's bytes, or a module already compiled.
 */
export type WasmSource = string | { readonly href: string } | WasmResponse | ArrayBuffer | ArrayBufferView | CompiledWasmModule;

/** Options of `init`, `initSync` and `createInstance`. */
export interface InitOptions {
  /**
   * Which build to load. `auto` (default) picks the fastest the engine supports. With `wasm`,
   * the module holds one build: `auto` takes it as it is, any other value must name it.
   */
  variant?: 'auto' | Variant;
  /**
   * The module to run, for hosts that serve `cosinekit-<variant>.wasm` elsewhere (a CDN, a
   * bundler that does not copy assets): see {@link WasmSource}. It must be a cosinekit
   * module of this version's ABI; the variant it holds is the one `backendInfo()` reports.
   */
  wasm?: WasmSource;
}

/** The version string tsup writes in (the key under which copies of one version share state). */
declare const __COSINEKIT_VERSION__: string;

/**
 * Which of a variant's two modules: `full`, the whole ABI, or `core`, without the losses and
 * the storage formats (a third of the bytes). The shared instance loads the core module
 * unless the program imported a loss or storage-format function (families.ts); every other
 * instance, the pool's included, loads the full one.
 */
export type ModuleKind = 'core' | 'full';

/**
 * The package's own modules, compiled, by variant and kind (`moduleKey`): one map for every
 * entry (`cosinekit`, `cosinekit/inline`, `cosinekit/pool`) and every ESM/CJS copy of this
 * version in the realm — the asset and the inlined bytes are the same module. So a pool
 * created after `cosinekit/inline`'s `init()` needs no asset, and `createInstance` never
 * compiles twice.
 */
export const packageModules: Map<string, WebAssembly.Module> = (() => {
  const key = Symbol.for(`cosinekit ${__COSINEKIT_VERSION__} (ABI ${ABI_VERSION}) compiled modules`);
  const registry = globalThis as { [key]?: Map<string, WebAssembly.Module> };
  return (registry[key] ??= new Map<string, WebAssembly.Module>());
})();

/** The key of a module in {@link packageModules}, e.g. `relaxed core`. */
export const moduleKey = (variant: Variant, kind: ModuleKind): string => `${variant} ${kind}`;

/** Compiles the module of a variant: from the package's assets, or from inlined bytes. */
export interface ModuleSource {
  /** What the errors call it, e.g. `the .wasm asset next to the package`. */
  readonly description: string;
  compile(variant: Variant, kind: ModuleKind): Promise<WebAssembly.Module>;
  /** Throws an Error saying what to do instead where the platform cannot do it synchronously. */
  compileSync(variant: Variant, kind: ModuleKind): WebAssembly.Module;
}

const PREFERENCE: readonly Variant[] = ['relaxed', 'simd128', 'scalar'];
const supported = new Map<Variant, boolean>();

/**
 * A module of one function `() -> ()` over a memory of 0 pages, whose body (`code`, without
 * the final `end`) uses the features a variant needs. Every size is below 128, so each LEB128
 * length is one byte.
 */
function probeModule(code: readonly number[]): Uint8Array<ArrayBuffer> {
  const body = [0x00, ...code, 0x0b]; // no locals, code, end
  const section = [0x01, body.length, ...body]; // one function body
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type section: one type, () -> ()
    ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
    ...[0x05, 0x03, 0x01, 0x00, 0x00], // memory section: one memory, min 0 pages
    ...[0x0a, section.length, ...section], // code section
  ]);
}

/** What every variant's module uses: sign extension, saturating truncation, bulk memory (as rustc emits). */
const BASE_FEATURES = [
  ...[0x41, 0x00, 0xc0, 0x1a], // i32.const 0; i32.extend8_s; drop
  ...[0x43, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x1a], // f32.const 0; i32.trunc_sat_f32_s; drop
  ...[0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00], // memory.fill of 0 bytes at 0
];
const SIMD128 = [0x41, 0x00, 0xfd, 0x11, 0x1a]; // i32.const 0; i32x4.splat; drop
/** i8x16.relaxed_swizzle (opcode 0x100) of two splats. */
const RELAXED = [0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, 0xfd, 0x80, 0x02, 0x1a];
const PROBES: Readonly<Record<Variant, readonly number[]>> = {
  scalar: BASE_FEATURES,
  simd128: [...BASE_FEATURES, ...SIMD128],
  relaxed: [...BASE_FEATURES, ...SIMD128, ...RELAXED],
};

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
    answer = typeof WebAssembly === 'object' && WebAssembly.validate(probeModule(PROBES[variant]));
    supported.set(variant, answer);
  }
  return answer;
}

/** `variant` as given: 'auto' (or unset), or a variant name; anything else is refused. */
function requestedVariant(value: unknown): 'auto' | Variant {
  const requested: unknown = value ?? 'auto';
  if (requested === 'auto' || requested === 'relaxed' || requested === 'simd128' || requested === 'scalar') return requested;
  const error = typeof requested === 'string' ? RangeError : TypeError;
  throw new error(`variant must be 'auto', 'relaxed', 'simd128' or 'scalar', got ${describe(requested)}`);
}

/** Resolves `options.variant` to a variant this engine supports, or throws. */
export function chooseVariant(options: unknown): Variant {
  const settings = checkOptions(options, ['variant'], 'init');
  const requested = requestedVariant(settings.variant);
  if (requested === 'auto') {
    const best = PREFERENCE.find(isVariantSupported);
    if (best === undefined) throw new Error('cosinekit: this engine cannot compile any cosinekit WebAssembly module');
    return best;
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

/** A Response, told apart structurally (Node's and the browsers' are different classes). */
function isResponse(value: object): value is WasmResponse {
  const candidate = value as Partial<Record<keyof WasmResponse, unknown>>;
  return typeof candidate.arrayBuffer === 'function' && typeof candidate.status === 'number' && typeof candidate.headers === 'object';
}

function isUrl(value: object): value is URL {
  return typeof URL === 'function' && value instanceof URL;
}

/** A string `wasm` as a URL: absolute, or relative to the page (`location.href`) where there is one. */
function parseUrl(text: string, label: string): URL {
  const page = (globalThis as { location?: { href?: unknown } }).location?.href;
  try {
    return typeof page === 'string' ? new URL(text, page) : new URL(text);
  } catch {
    throw new TypeError(`${label} ${describe(text)} is not a URL (here a string must be an absolute URL: file:, http: or https:)`);
  }
}

/** What `wasm` is, checked once: the bytes, a compiled module, a Response or a URL. */
type CheckedSource =
  | { kind: 'module'; module: WebAssembly.Module }
  | { kind: 'bytes'; bytes: ArrayBuffer | ArrayBufferView }
  | { kind: 'response'; response: WasmResponse }
  | { kind: 'url'; url: URL };

function checkSource(value: unknown, label: string): CheckedSource {
  if (typeof value === 'string') return { kind: 'url', url: parseUrl(value, label) };
  if (typeof value === 'object' && value !== null) {
    if (typeof WebAssembly === 'object' && value instanceof WebAssembly.Module) return { kind: 'module', module: value };
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return { kind: 'bytes', bytes: value };
    if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(value) };
    if (isUrl(value)) return { kind: 'url', url: value };
    if (isResponse(value)) return { kind: 'response', response: value };
    // A URL of another realm, `location`, or any `{ href }`: its href, parsed here.
    const href = (value as { href?: unknown }).href;
    if (typeof href === 'string') return { kind: 'url', url: parseUrl(href, `${label}.href`) };
  }
  throw new TypeError(`${label} must be a URL, a Response, an ArrayBuffer, a typed array or a WebAssembly.Module, got ${describe(value)}`);
}

function summary(thrown: unknown): string {
  return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
}

/** Compiles bytes; a CompileError becomes an Error that names where the bytes came from. */
export async function compileBytes(bytes: BufferSource, origin: string): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes);
  } catch (thrown) {
    throw new Error(`cosinekit: ${origin} is not a WebAssembly module this engine can compile (${summary(thrown)})`, { cause: thrown });
  }
}

export function compileBytesSync(bytes: BufferSource, origin: string): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes);
  } catch (thrown) {
    // Browsers refuse synchronous compiles over 4 KB on the main thread with a RangeError.
    if (thrown instanceof RangeError) {
      throw new Error(`cosinekit: this engine refuses to compile ${origin} synchronously here (${summary(thrown)}); use await init()`, { cause: thrown });
    }
    throw new Error(`cosinekit: ${origin} is not a WebAssembly module this engine can compile (${summary(thrown)})`, { cause: thrown });
  }
}

/**
 * Compiles a fetched module: while it streams when it is served as `application/wasm`
 * (`WebAssembly.compileStreaming` insists on that type), from its bytes otherwise.
 */
export async function compileResponse(response: WasmResponse, origin: string): Promise<WebAssembly.Module> {
  if (!response.ok) throw new Error(`cosinekit: ${origin} answered HTTP ${response.status}${response.url ? ` (${response.url})` : ''}`);
  if (response.bodyUsed) throw new TypeError(`cosinekit: ${origin} is a Response whose body was already read`);
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\s*(;|$)/i.test(type) && typeof Response === 'function' && response instanceof Response) {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (thrown) {
      throw new Error(`cosinekit: ${origin} is not a WebAssembly module this engine can compile (${summary(thrown)})`, { cause: thrown });
    }
  }
  return compileBytes(await response.arrayBuffer(), origin);
}

/** A Node built-in (also in Bun and Deno), or null where there is none. */
export async function builtinModule<T>(id: string): Promise<T | null> {
  const host = (globalThis as { process?: { versions?: { node?: unknown }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof host?.versions?.node !== 'string') return null;
  if (typeof host.getBuiltinModule === 'function') return (host.getBuiltinModule(id) as T | undefined) ?? null;
  // Node < 20.16: an import with a computed specifier, which no bundler tries to resolve.
  const specifier = id;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}

/** A Node built-in through `process.getBuiltinModule` (Node ≥ 20.16, Bun, Deno), or null. */
export function builtinModuleSync<T>(id: string): T | null {
  const host = (globalThis as { process?: { versions?: { node?: unknown }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof host?.versions?.node !== 'string' || typeof host.getBuiltinModule !== 'function') return null;
  return (host.getBuiltinModule(id) as T | undefined) ?? null;
}

interface NodeFs {
  readFileSync(path: string | URL): Uint8Array;
  promises: { readFile(path: string | URL): Promise<Uint8Array> };
}

/** Reads a file (a `file:` URL or a path) with Node's fs, where there is one; null elsewhere. */
export async function readLocalFile(location: string | URL, origin: string): Promise<Uint8Array | null> {
  const fs = await builtinModule<NodeFs>('node:fs');
  if (fs === null) return null;
  try {
    return await fs.promises.readFile(location);
  } catch (thrown) {
    throw new Error(`cosinekit: cannot read ${origin} (${summary(thrown)})`, { cause: thrown });
  }
}

export function readLocalFileSync(location: string | URL, origin: string): Uint8Array | null {
  const fs = builtinModuleSync<NodeFs>('node:fs');
  if (fs === null) return null;
  try {
    return fs.readFileSync(location);
  } catch (thrown) {
    throw new Error(`cosinekit: cannot read ${origin} (${summary(thrown)})`, { cause: thrown });
  }
}

/** Fetches and compiles a URL: a file read for `file:` where Node's fs is there, else `fetch`. */
export async function compileUrl(url: URL, origin: string): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    const bytes = await readLocalFile(url, origin);
    if (bytes !== null) return compileBytes(bytes as Uint8Array<ArrayBuffer>, origin);
  }
  if (typeof fetch !== 'function') throw new Error(`cosinekit: this engine has no fetch to load ${origin}`);
  let response: WasmResponse;
  try {
    response = await fetch(url);
  } catch (thrown) {
    throw new Error(`cosinekit: cannot fetch ${origin} (${summary(thrown)})`, { cause: thrown });
  }
  return compileResponse(response, origin);
}

/**
 * A URL's bytes, synchronously: a file read for `file:` (Node, Bun, Deno), a synchronous
 * XMLHttpRequest in a browser worker (the main thread may not compile this much
 * synchronously anyway); null where neither is possible.
 */
export function readUrlSync(url: URL, origin: string): Uint8Array<ArrayBuffer> | null {
  if (url.protocol === 'file:') {
    const bytes = readLocalFileSync(url, origin);
    if (bytes !== null) return bytes as Uint8Array<ArrayBuffer>;
  }
  const inWorker = typeof (globalThis as { importScripts?: unknown }).importScripts === 'function';
  if (inWorker && typeof XMLHttpRequest === 'function') {
    const request = new XMLHttpRequest();
    request.open('GET', url.href, false);
    request.responseType = 'arraybuffer';
    try {
      request.send();
    } catch (thrown) {
      throw new Error(`cosinekit: cannot fetch ${origin} (${summary(thrown)})`, { cause: thrown });
    }
    if (request.status < 200 || request.status > 299) throw new Error(`cosinekit: ${origin} answered HTTP ${request.status} (${url.href})`);
    return new Uint8Array(request.response as ArrayBuffer);
  }
  return null;
}

const SYNC_HINT = 'use await init(), or pass the bytes or a compiled WebAssembly.Module as wasm';

/** The module `wasm` names, compiled. */
async function compileSource(source: CheckedSource, label: string): Promise<WebAssembly.Module> {
  switch (source.kind) {
    case 'module':
      return source.module;
    case 'bytes':
      return compileBytes(source.bytes as BufferSource, label);
    case 'response':
      return compileResponse(source.response, label);
    case 'url':
      return compileUrl(source.url, `${label} (${source.url.href})`);
  }
}

function compileSourceSync(source: CheckedSource, label: string, functionName: string): WebAssembly.Module {
  switch (source.kind) {
    case 'module':
      return source.module;
    case 'bytes':
      return compileBytesSync(source.bytes as BufferSource, label);
    case 'response':
      throw new TypeError(`${functionName}: a Response cannot be read synchronously; ${SYNC_HINT}`);
    case 'url': {
      const bytes = readUrlSync(source.url, `${label} (${source.url.href})`);
      if (bytes === null) throw new Error(`${functionName}: cannot read ${source.url.href} synchronously here; ${SYNC_HINT}`);
      return compileBytesSync(bytes, `${label} (${source.url.href})`);
    }
  }
}

/** What `init` and friends were asked for: a variant of the source, or the caller's module. */
interface LoadPlan {
  requested: 'auto' | Variant;
  /** Set when the caller passed `wasm`; the variant then comes from the module. */
  custom: CheckedSource | null;
  label: string;
}

function planLoad(options: unknown, functionName: string): LoadPlan {
  const settings = checkOptions(options, ['variant', 'wasm'], functionName);
  const label = `${functionName} option wasm`;
  const requested = requestedVariant(settings.variant);
  const custom = settings.wasm === undefined ? null : checkSource(settings.wasm, label);
  return { requested, custom, label };
}

/** A caller's module must look like a cosinekit module before it is instantiated: no imports, the ABI exports. */
function checkModule(module: WebAssembly.Module, plan: LoadPlan): void {
  if (plan.custom === null) return; // the package's own modules
  const imports = WebAssembly.Module.imports(module);
  const names = new Set(WebAssembly.Module.exports(module).map((entry) => entry.name));
  if (imports.length > 0 || !names.has('ck_abi_version') || !names.has('ck_instruction_set') || !names.has('memory')) {
    throw new Error(
      `cosinekit: ${plan.label} is a WebAssembly module but not a cosinekit one (it needs the exports memory, ck_abi_version and ck_instruction_set, and no imports)`,
    );
  }
}

/** Checks that an instance speaks this ABI and holds the requested variant (a caller's module may not). */
function checkedRuntime(instance: WebAssembly.Instance, plan: LoadPlan): Runtime {
  const abi = (instance.exports as { ck_abi_version: () => number }).ck_abi_version();
  if (abi !== ABI_VERSION) {
    throw new Error(`cosinekit: ${plan.label} is a cosinekit module of ABI ${abi}, and this package speaks ABI ${ABI_VERSION}: use the .wasm of the same package version`);
  }
  const runtime = new Runtime(instance);
  if (plan.requested !== 'auto' && runtime.variant !== plan.requested) {
    throw new Error(
      `cosinekit: ${plan.label} holds the ${runtime.variant} variant, but variant ${JSON.stringify(plan.requested)} was asked for (leave variant out, or 'auto', to take the module as it is)`,
    );
  }
  return runtime;
}

/** The variant a plan without `wasm` loads: the requested one if supported, else the best. */
function plannedVariant(plan: LoadPlan): Variant {
  return chooseVariant(plan.requested === 'auto' ? undefined : { variant: plan.requested });
}

/** The compiled module and the calling thread's instance of it, as `options` ask (init, createInstance, createPool). */
export async function loadModule(
  source: ModuleSource,
  options: unknown,
  functionName: string,
  kind: ModuleKind,
): Promise<{ module: WebAssembly.Module; runtime: Runtime }> {
  const plan = planLoad(options, functionName);
  let module: WebAssembly.Module;
  if (plan.custom === null) {
    const variant = plannedVariant(plan);
    plan.label = `the ${variant} module (${source.description})`;
    module = await source.compile(variant, kind);
  } else {
    module = await compileSource(plan.custom, plan.label);
  }
  checkModule(module, plan);
  return { module, runtime: checkedRuntime(await WebAssembly.instantiate(module, {}), plan) };
}

export async function instantiate(source: ModuleSource, options: unknown, functionName: string, kind: ModuleKind): Promise<Runtime> {
  return (await loadModule(source, options, functionName, kind)).runtime;
}

/** `instantiate`, synchronously: Node, Bun, Deno and workers, or bytes or a module passed as `wasm`. */
export function instantiateSync(source: ModuleSource, options: unknown, functionName: string, kind: ModuleKind): Runtime {
  const plan = planLoad(options, functionName);
  let module: WebAssembly.Module;
  if (plan.custom === null) {
    const variant = plannedVariant(plan);
    plan.label = `the ${variant} module (${source.description})`;
    module = source.compileSync(variant, kind);
  } else {
    module = compileSourceSync(plan.custom, plan.label, functionName);
  }
  checkModule(module, plan);
  return checkedRuntime(new WebAssembly.Instance(module, {}), plan);
}
