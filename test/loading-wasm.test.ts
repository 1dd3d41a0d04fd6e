// init({ wasm }) / createInstance({ wasm }): every form of module source (bytes, typed-array
// views at an offset, compiled modules, file: URLs as URL objects and strings, Responses
// served with and without the wasm MIME type), how `variant` and `wasm` interact, and the
// errors for everything else: wrong types, bytes that are no module, modules that are not
// cosinekit's, a cosinekit module of another ABI, HTTP errors, what cannot be done synchronously.

import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Cosinekit, type InitOptions, type Variant, createInstance, createInstanceSync, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';

const distDirectory = fileURLToPath(new URL('../packages/cosinekit/dist/', import.meta.url));
const assetPath = (variant: Variant) => `${distDirectory}cosinekit-${variant}.wasm`;
const assetBytes = (variant: Variant) => new Uint8Array(readFileSync(assetPath(variant)));
const runnable: Variant[] = (['scalar', 'simd128', 'relaxed'] as const).filter((variant) => isVariantSupported(variant));

/** cos([3, 4], [4, 3]) = 24 / 25 and cos([1, 0], [0, 1]) = 0, worked out by hand. */
function expectWorking(kit: Cosinekit, variant: Variant): void {
  expect(kit.backendInfo().variant).toBe(variant);
  const result = kit.cosineSimilarity({ data: [3, 4, 1, 0], shape: [2, 2] }, { data: [4, 3, 0, 1], shape: [2, 2] });
  expect(Math.abs(result.data[0]! - 24 / 25)).toBeLessThanOrEqual(1e-6);
  expect(Math.abs(result.data[1]!)).toBeLessThanOrEqual(1e-6);
}

/** A module with one memory and functions `() -> i32` returning constants, exported by name. */
function constantsModule(functions: Readonly<Record<string, number>>): Uint8Array<ArrayBuffer> {
  const names = Object.keys(functions);
  const text = (name: string) => [name.length, ...Array.from(name, (character) => character.charCodeAt(0))];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const exports = [names.length + 1, ...text('memory'), 0x02, 0x00, ...names.flatMap((name, index) => [...text(name), 0x00, index])];
  const bodies = [names.length, ...names.flatMap((name) => [0x04, 0x00, 0x41, functions[name]!, 0x0b])];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(0x01, [0x01, 0x60, 0x00, 0x01, 0x7f]),
    ...section(0x03, [names.length, ...names.map(() => 0x00)]),
    ...section(0x05, [0x01, 0x00, 0x01]),
    ...section(0x07, exports),
    ...section(0x0a, bodies),
  ]);
}

describe.each(runnable)('createInstance({ wasm }) with the %s asset', (variant) => {
  test('ArrayBuffer, a Uint8Array at an offset, a compiled Module; and synchronously', async () => {
    const bytes = assetBytes(variant);
    const padded = new Uint8Array(bytes.length + 13);
    padded.set(bytes, 13);
    expectWorking(await createInstance({ wasm: bytes.buffer }), variant);
    expectWorking(await createInstance({ wasm: padded.subarray(13) }), variant);
    expectWorking(await createInstance({ wasm: new WebAssembly.Module(bytes) }), variant);
    expectWorking(createInstanceSync({ wasm: padded.subarray(13) }), variant);
    expectWorking(createInstanceSync({ wasm: new WebAssembly.Module(bytes) }), variant);
  });

  test('file: URLs (URL object and string) are read from disk, also synchronously', async () => {
    const url = pathToFileURL(assetPath(variant));
    expectWorking(await createInstance({ wasm: url }), variant);
    expectWorking(await createInstance({ wasm: url.href }), variant);
    expectWorking(createInstanceSync({ wasm: url }), variant);
  });

  test('a Response: streamed as application/wasm, read whole when the server sends another type', async () => {
    const bytes = assetBytes(variant);
    expectWorking(await createInstance({ wasm: new Response(bytes, { headers: { 'content-type': 'application/wasm' } }) }), variant);
    expectWorking(await createInstance({ wasm: new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }) }), variant);
    expectWorking(await createInstance({ wasm: new Response(bytes) }), variant);
  });

  test('any object with a string href (a URL of another realm, location): its href', async () => {
    const href = pathToFileURL(assetPath(variant)).href;
    expectWorking(await createInstance({ wasm: { href } }), variant);
    await expect(createInstance({ wasm: { href: 'not a url' } })).rejects.toThrow(new TypeError('createInstance option wasm.href "not a url" is not a URL (here a string must be an absolute URL: file:, http: or https:)'));
  });

  test('variant naming the module is accepted; another variant is refused', async () => {
    const bytes = assetBytes(variant);
    expectWorking(await createInstance({ wasm: bytes, variant }), variant);
    expectWorking(await createInstance({ wasm: bytes, variant: 'auto' }), variant);
    const other: Variant = variant === 'scalar' ? 'simd128' : 'scalar';
    await expect(createInstance({ wasm: bytes, variant: other })).rejects.toThrow(
      new Error(`cosinekit: createInstance option wasm holds the ${variant} variant, but variant "${other}" was asked for (leave variant out, or 'auto', to take the module as it is)`),
    );
    expect(() => createInstanceSync({ wasm: bytes, variant: other })).toThrow(`createInstanceSync option wasm holds the ${variant} variant`);
  });
});

describe('wasm that is not a cosinekit module of this ABI is refused with a clear error', () => {
  test('values of the wrong type: TypeError naming the value', async () => {
    const message = (got: string) =>
      `createInstance option wasm must be a URL, a Response, an ArrayBuffer, a typed array or a WebAssembly.Module, got ${got}`;
    await expect(createInstance({ wasm: 42 } as unknown as InitOptions)).rejects.toThrow(new TypeError(message('42')));
    await expect(createInstance({ wasm: { href: 7 } } as unknown as InitOptions)).rejects.toThrow(new TypeError(message('an object')));
    await expect(createInstance({ wasm: [0, 97, 115, 109] } as unknown as InitOptions)).rejects.toThrow(new TypeError(message('[0,97,115,109]')));
    await expect(createInstance({ wasm: 'cosinekit-scalar.wasm' })).rejects.toThrow(
      new TypeError('createInstance option wasm "cosinekit-scalar.wasm" is not a URL (here a string must be an absolute URL: file:, http: or https:)'),
    );
    await expect(createInstance({ wasm: null } as unknown as InitOptions)).rejects.toThrow(TypeError);
    await expect(createInstance({ wasm: assetBytes('scalar'), extra: 1 } as unknown as InitOptions)).rejects.toThrow(
      new TypeError('createInstance has no option "extra"; its options are variant, wasm'),
    );
  });

  test('bytes that are not WebAssembly, and a missing file', async () => {
    const junk = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(createInstance({ wasm: junk })).rejects.toThrow(/^cosinekit: createInstance option wasm is not a WebAssembly module this engine can compile \(CompileError: /);
    expect(() => createInstanceSync({ wasm: junk })).toThrow(/^cosinekit: createInstanceSync option wasm is not a WebAssembly module this engine can compile/);
    const missing = pathToFileURL(`${distDirectory}no-such-module.wasm`);
    await expect(createInstance({ wasm: missing })).rejects.toThrow(/^cosinekit: cannot read createInstance option wasm \(file:.*no-such-module\.wasm\) \(Error: ENOENT/);
  });

  test('a WebAssembly module without the cosinekit exports, or with imports', async () => {
    const foreign = constantsModule({ answer: 42 });
    const expected = 'cosinekit: createInstance option wasm is a WebAssembly module but not a cosinekit one (it needs the exports memory, ck_abi_version and ck_instruction_set, and no imports)';
    await expect(createInstance({ wasm: foreign })).rejects.toThrow(new Error(expected));
    // (module (import "env" "f" (func)) ...): one import, no exports.
    const importing = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 9, 1, 3, 101, 110, 118, 1, 102, 0, 0]);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(importing))).toHaveLength(1);
    await expect(createInstance({ wasm: importing })).rejects.toThrow(new Error(expected));
  });

  test('a cosinekit-shaped module of another ABI version', async () => {
    const older = constantsModule({ ck_abi_version: 3, ck_instruction_set: 1 });
    const expected = 'cosinekit: createInstance option wasm is a cosinekit module of ABI 3, and this package speaks ABI 5: use the .wasm of the same package version';
    await expect(createInstance({ wasm: older })).rejects.toThrow(new Error(expected));
    expect(() => createInstanceSync({ wasm: older })).toThrow(expected.replace('createInstance ', 'createInstanceSync '));
  });

  test('HTTP errors, used bodies, and what cannot be read synchronously', async () => {
    await expect(createInstance({ wasm: new Response('not found', { status: 404 }) })).rejects.toThrow(new Error('cosinekit: createInstance option wasm answered HTTP 404'));
    const used = new Response(assetBytes('scalar'));
    await used.arrayBuffer();
    await expect(createInstance({ wasm: used })).rejects.toThrow(new TypeError('cosinekit: createInstance option wasm is a Response whose body was already read'));
    expect(() => createInstanceSync({ wasm: new Response(assetBytes('scalar')) })).toThrow(
      new TypeError('createInstanceSync: a Response cannot be read synchronously; use await init(), or pass the bytes or a compiled WebAssembly.Module as wasm'),
    );
    expect(() => createInstanceSync({ wasm: 'https://example.invalid/cosinekit-scalar.wasm' })).toThrow(
      new Error('createInstanceSync: cannot read https://example.invalid/cosinekit-scalar.wasm synchronously here; use await init(), or pass the bytes or a compiled WebAssembly.Module as wasm'),
    );
  });
});

describe('isVariantSupported probes agree with the variants themselves', () => {
  test.each(['scalar', 'simd128', 'relaxed'] as const)('%s: the probe module answers as WebAssembly.validate on the asset', (variant) => {
    expect(isVariantSupported(variant)).toBe(WebAssembly.validate(assetBytes(variant)));
  });
});
