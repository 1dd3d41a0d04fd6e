// The C ABI of the real wasm32 modules (packages/cosinekit/wasm/*.wasm, built by
// scripts/build-wasm.sh), called directly with hostile pointers and lengths. Here usize is
// 32 bits, so this is where a length whose byte size wraps (2^30 floats = 2^32 bytes) or a
// pointer + length that wraps must be refused (status 17 / 16) rather than read or written.
// The allocator refuses impossible sizes and ignores frees of pointers it never handed out,
// and live blocks keep their contents.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

interface RawExports {
  memory: WebAssembly.Memory;
  ck_alloc(bytes: number): number;
  ck_free(pointer: number): void;
  ck_heap_bytes_in_use(): number;
  ck_cosine_f32(...args: number[]): number;
  ck_normalize_f32(...args: number[]): number;
  ck_cosine_pair_f32(first: number, second: number, length: number, eps: number): number;
  ck_cosine_pair_values_f32: ((...args: number[]) => number) & { length: number };
}

const BAD_POINTER = 16;
const BAD_LENGTH = 17;
const OVERLAP = 18;
const OUT_OF_BOUNDS = 1;
const OUTPUT_LENGTH = 2;

function moduleBytes(variant: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../../packages/cosinekit/wasm/cosinekit-${variant}.wasm`, import.meta.url))));
}

/** The test-only module of a variant (crates/cosinekit-checks): internals of the kernels, in that variant's lanes. */
interface CheckExports {
  memory: WebAssembly.Memory;
  ck_checks_buffer(): number;
  ck_checks_buffer_len(): number;
  ck_checks_exp_f64(count: number, paired: number): number;
}

function instantiateChecks(variant: string): CheckExports {
  const bytes = readFileSync(fileURLToPath(new URL(`../../packages/cosinekit/wasm/checks-${variant}.wasm`, import.meta.url)));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as CheckExports;
}

function instantiate(variant: string): RawExports {
  const module = new WebAssembly.Module(moduleBytes(variant));
  return new WebAssembly.Instance(module, {}).exports as unknown as RawExports;
}

/** scalar and simd128 everywhere, relaxed where the engine runs it; only relaxed in the `relaxed` vitest project. */
const VARIANTS = process.env.COSINEKIT_EXPECT_RELAXED
  ? ['relaxed']
  : ['scalar', 'simd128', 'relaxed'].filter((variant) => variant !== 'relaxed' || WebAssembly.validate(moduleBytes(variant)));

/** A block from ck_alloc filled with a pattern, checked later. */
function patterned(abi: RawExports, floats: number, seed: number): { pointer: number; check: () => void } {
  const pointer = abi.ck_alloc(floats * 4) >>> 0;
  expect(pointer).not.toBe(0);
  const fill = (index: number) => seed + index * 0.5;
  new Float32Array(abi.memory.buffer, pointer, floats).set(Array.from({ length: floats }, (_, index) => fill(index)));
  return {
    pointer,
    check: () => {
      const data = new Float32Array(abi.memory.buffer, pointer, floats);
      for (let index = 0; index < floats; index++) {
        if (data[index] !== fill(index)) expect.fail(`block at ${pointer} changed at [${index}]`);
      }
    },
  };
}

describe.each(VARIANTS)('raw wasm32 ABI, %s', (variant) => {
  test('the exports are exactly those runtime.ts declares: no test hooks, nothing undeclared', () => {
    const source = readFileSync(fileURLToPath(new URL('../../packages/cosinekit/src/runtime.ts', import.meta.url)), 'utf8');
    const block = /export interface CosinekitExports \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    const declared = new Set([...block.matchAll(/^ {2}(ck_[a-z0-9_]+|memory)\b/gm)].map((match) => match[1]));
    const exported = new Set(WebAssembly.Module.exports(new WebAssembly.Module(moduleBytes(variant))).map((entry) => entry.name));
    // The linker's own symbols are not part of the ABI.
    for (const name of ['__data_end', '__heap_base']) exported.delete(name);
    expect([...exported].sort()).toEqual([...declared].sort());
  });

  test('no dead exports: every export runtime.ts declares is called somewhere in the package source', () => {
    const directory = fileURLToPath(new URL('../../packages/cosinekit/src/', import.meta.url));
    const sources = readdirSync(directory, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.generated.ts'))
      .map((file) => readFileSync(`${directory}${file}`, 'utf8'));
    const runtime = readFileSync(`${directory}runtime.ts`, 'utf8');
    const block = /export interface CosinekitExports \{([\s\S]*?)\n\}/.exec(runtime)?.[1] ?? '';
    const declared = [...block.matchAll(/^ {2}(ck_[a-z0-9_]+)\b/gm)].map((match) => match[1]!);
    expect(declared.length).toBeGreaterThan(40);
    const everything = sources.join('\n').replace(block, '');
    const unused = declared.filter((name) => !new RegExp(`\\.${name}\\b|\\b${name}\\(|'${name}'`).test(everything));
    expect(unused).toEqual([]);
  });

  test('non-empty regions below the heap base (the stack, static data) are refused', () => {
    const abi = instantiate(variant);
    const output = abi.ck_alloc(64) >>> 0;
    expect(abi.ck_normalize_f32(16, output, 1, 4, 1, 2, 1e-12)).toBe(BAD_POINTER);
    expect(abi.ck_normalize_f32(output, 16, 1, 4, 1, 2, 1e-12)).toBe(BAD_POINTER);
    expect(abi.ck_cosine_pair_f32(16, output, 4, 1e-8)).toBeNaN();
    // Empty regions take any address: nothing is read.
    expect(abi.ck_cosine_pair_f32(16, 16, 0, 1e-8)).toBe(0);
    abi.ck_free(output);
  });

  test('the by-value pair takes a length, eight elements of each vector and eps (what cosine passes), and refuses more than eight', () => {
    const abi = instantiate(variant);
    expect(abi.ck_cosine_pair_values_f32.length).toBe(2 * 8 + 2);
    const first = [1, 2, 3, 4, 5, 6, 7, 8];
    const second = [8, 7, 6, 5, 4, 3, 2, 1];
    const pointer = abi.ck_alloc(64) >>> 0;
    new Float32Array(abi.memory.buffer, pointer, 16).set([...first, ...second]);
    for (let length = 1; length <= 8; length++) {
      const inMemory = abi.ck_cosine_pair_f32(pointer, pointer + 32, length, 1e-8);
      expect(Object.is(abi.ck_cosine_pair_values_f32(length, ...first, ...second, 1e-8), inMemory), `length ${length}`).toBe(true);
    }
    expect(abi.ck_cosine_pair_values_f32(9, ...first, ...second, 1e-8)).toBeNaN();
    abi.ck_free(pointer);
  });

  test('lengths and pointers that would wrap 32-bit usize are refused, nothing written', () => {
    const abi = instantiate(variant);
    const input = patterned(abi, 8, 1);
    const output = patterned(abi, 2, 100);
    const geometry = abi.ck_alloc(6 * 4) >>> 0;
    new Uint32Array(abi.memory.buffer, geometry, 6).set([2, 4, 4, 4, 1, 1]);
    const cosine = (firstPointer: number, firstLength: number, outputPointer: number, outputLength: number, keptRank = 1, reducedRank = 1) =>
      abi.ck_cosine_f32(firstPointer, firstLength, input.pointer, 8, geometry, keptRank, reducedRank, 1e-8, 0, outputPointer, outputLength);
    // A valid call first, so the refusals below are refusals of the arguments only.
    const scratchOut = abi.ck_alloc(8) >>> 0;
    expect(cosine(input.pointer, 8, scratchOut, 2)).toBe(0);
    // 2^30 floats: 2^32 bytes, which wraps to 0 in 32 bits.
    expect(cosine(input.pointer, 2 ** 30, output.pointer, 2)).toBe(BAD_LENGTH);
    expect(cosine(input.pointer, 2 ** 30 + 2, output.pointer, 2)).toBe(BAD_LENGTH);
    expect(cosine(input.pointer, 0xffff_ffff, output.pointer, 2)).toBe(BAD_LENGTH);
    expect(cosine(input.pointer, 8, output.pointer, 2 ** 30 + 1)).toBe(BAD_LENGTH);
    // pointer + bytes wraps past 2^32.
    expect(cosine(0xffff_fff0, 8, output.pointer, 2)).toBe(BAD_LENGTH);
    expect(cosine(input.pointer, 8, 0xffff_fffc, 2)).toBe(BAD_LENGTH);
    // Past the end of memory without wrapping; null; misaligned.
    const end = abi.memory.buffer.byteLength;
    expect(cosine(end - 16, 8, output.pointer, 2)).toBe(BAD_POINTER);
    expect(cosine(input.pointer, 8, end - 4, 2)).toBe(BAD_POINTER);
    expect(cosine(0, 8, output.pointer, 2)).toBe(BAD_POINTER);
    expect(cosine(input.pointer + 2, 7, output.pointer, 2)).toBe(BAD_POINTER);
    // 3 · (kept + reduced) overflows 32 bits.
    expect(cosine(input.pointer, 8, output.pointer, 2, 0x5555_5556, 0)).toBe(BAD_LENGTH);
    expect(cosine(input.pointer, 8, output.pointer, 2, 0xffff_ffff, 1)).toBe(BAD_LENGTH);
    // Geometry past the input, and an output of the wrong length: the kernel refuses.
    expect(cosine(input.pointer, 7, output.pointer, 2)).toBe(OUT_OF_BOUNDS);
    expect(cosine(input.pointer, 8, output.pointer, 3)).toBe(OUTPUT_LENGTH);
    // Output overlapping an input.
    expect(cosine(input.pointer, 8, input.pointer + 4, 2)).toBe(OVERLAP);
    input.check();
    output.check();
  });

  test('normalize: a layout whose element count wraps 32 bits is refused', () => {
    const abi = instantiate(variant);
    const data = patterned(abi, 16, 7);
    const normalize = (outer: number, reduced: number, inner: number, outputPointer = data.pointer) =>
      abi.ck_normalize_f32(data.pointer, outputPointer, outer, reduced, inner, 2, 1e-12);
    // 65536 · 65536 = 2^32 elements, 2^16 · 2^14 · 1 floats = 2^32 bytes: both wrap.
    expect(normalize(65536, 65536, 1)).toBe(BAD_LENGTH);
    expect(normalize(1, 65536, 16384)).toBe(BAD_LENGTH);
    expect(normalize(0xffff_ffff, 2, 1)).toBe(BAD_LENGTH);
    // Fits in 32 bits but runs past the end of memory.
    expect(normalize(1, 2 ** 29, 1)).toBe(BAD_POINTER);
    // Partial overlap of output and input.
    expect(normalize(2, 8, 1, data.pointer + 4)).toBe(OVERLAP);
    data.check();
    expect(normalize(2, 8, 1)).toBe(0);
  });

  test('exp: the paired path of the softmax loops equals the scalar eˣ bit for bit, inside and outside its range', () => {
    // Inputs: the softmax range (x − max ≤ 0), the whole finite range in steps, both ends of
    // the range and just past them (subnormal results, 0, +∞), and NaN/±∞/±0 — shuffled into
    // pairs so in-range values meet out-of-range partners too.
    const EXP_OVERFLOW = 709.782712893384;
    const EXP_UNDERFLOW = -745.1332191019411;
    const values: number[] = [0, -0, 1, -1, 0.5, -0.5, Math.LN2, -Math.LN2, NaN, Infinity, -Infinity];
    for (const edge of [EXP_OVERFLOW, EXP_UNDERFLOW, -708.39641853226408, -708.4, -720, -740]) {
      let below = edge;
      let above = edge;
      for (let step = 0; step < 4; step++) {
        values.push(below, above);
        below -= Math.abs(below) * Number.EPSILON;
        above += Math.abs(above) * Number.EPSILON;
      }
    }
    for (let x = -800; x <= 800; x += 0.37) values.push(x);
    let seed = 99;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    for (let index = 0; index < 20_000; index++) values.push(-60 * random() ** 2);
    for (let index = values.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [values[index], values[other]] = [values[other]!, values[index]!];
    }
    values.push(-3.25); // an odd count: the last value goes alone on the paired path
    const checks = instantiateChecks(variant);
    expect(values.length).toBeLessThanOrEqual(checks.ck_checks_buffer_len());
    const run = (paired: number): Float64Array => {
      const pointer = checks.ck_checks_buffer() >>> 0;
      new Float64Array(checks.memory.buffer, pointer, values.length).set(values);
      expect(checks.ck_checks_exp_f64(values.length, paired)).toBe(0);
      return new Float64Array(checks.memory.buffer, pointer, values.length).slice();
    };
    const one = run(0);
    const two = run(1);
    const oneBits = new BigUint64Array(one.buffer);
    const twoBits = new BigUint64Array(two.buffer);
    for (let index = 0; index < values.length; index++) {
      if (oneBits[index] !== twoBits[index]) expect.fail(`exp(${values[index]}): paired ${two[index]}, scalar ${one[index]}`);
      // And eˣ itself is right: within 4 ulp of Math.exp where the result is normal.
      const want = Math.exp(values[index]!);
      if (Number.isNaN(want)) expect(one[index]).toBeNaN();
      else if (want === 0 || want === Infinity) expect(one[index], `exp(${values[index]})`).toBe(want);
      else if (want > 2.2250738585072014e-308) {
        expect(Math.abs(one[index]! - want), `exp(${values[index]})`).toBeLessThanOrEqual(4 * Number.EPSILON * want);
      }
    }
  });

  test('the allocator refuses impossible sizes, survives frees of foreign pointers, keeps live blocks intact', () => {
    const abi = instantiate(variant);
    const blocks = [patterned(abi, 5, 10), patterned(abi, 100, 20), patterned(abi, 3, 30)];
    const heap = abi.ck_heap_bytes_in_use() >>> 0;
    const memory = abi.memory.buffer.byteLength;
    // Sizes that cannot exist (≥ 2^31 bytes, or header + size wrapping 32 bits).
    for (const bytes of [0xffff_ffff, 0xffff_fff0, 0x8000_0010, 0x8000_0000]) {
      expect(abi.ck_alloc(bytes) >>> 0, `ck_alloc(${bytes})`).toBe(0);
    }
    expect(abi.memory.buffer.byteLength).toBe(memory);
    // Frees of pointers the heap never handed out: ignored.
    for (const pointer of [1, 3, 8, 16, blocks[1]!.pointer + 16, blocks[1]!.pointer + 4, 0xffff_fff0, memory, memory + 65536]) abi.ck_free(pointer);
    // A double free is ignored too.
    const extra = abi.ck_alloc(64) >>> 0;
    abi.ck_free(extra);
    abi.ck_free(extra);
    expect(abi.ck_heap_bytes_in_use() >>> 0).toBe(heap);
    for (const block of blocks) block.check();
    // Real growth that the engine then refuses: 2 GiB − 64 fits once (memory is only
    // reserved, never touched), a second one cannot (4 GiB is all of wasm32).
    const huge = abi.ck_alloc(2 ** 31 - 64) >>> 0;
    expect(huge).not.toBe(0);
    const grown = abi.memory.buffer.byteLength;
    expect(abi.ck_alloc(2 ** 31 - 64) >>> 0).toBe(0);
    expect(abi.memory.buffer.byteLength).toBe(grown);
    for (const block of blocks) block.check();
    abi.ck_free(huge);
    expect(abi.ck_heap_bytes_in_use() >>> 0).toBe(heap);
    // The heap still works: allocate, use and free.
    const after = patterned(abi, 1000, 40);
    after.check();
    abi.ck_free(after.pointer);
    expect(abi.ck_heap_bytes_in_use() >>> 0).toBe(heap);
  });
});
