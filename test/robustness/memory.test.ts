// Memory limits and aliasing. An allocation WASM memory cannot hold is a RangeError thrown
// before anything is written (and, where the size is known up front, before memory grows);
// every live WasmTensor keeps its data. `out` buffers of the wrong size are refused. An
// `out` overlapping an input is handled (the kernel writes to scratch first); a raw view of
// WASM memory outside every live WasmTensor is refused.

import { type Cosinekit, type WasmTensor, createInstanceSync } from 'cosinekit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertClose } from './harness.js';
import { cosineReference, normalizeReference } from './reference.js';

let api: Cosinekit;
let other: Cosinekit;

beforeAll(() => {
  api = createInstanceSync({ variant: 'simd128' });
  other = createInstanceSync({ variant: 'scalar' });
});

/** Several live tensors of different sizes, each with its own pattern. */
class Sentinels {
  readonly #tensors: { tensor: WasmTensor; pattern: Float32Array }[] = [];

  constructor(owner: Cosinekit, sizes: readonly number[]) {
    sizes.forEach((size, which) => {
      const tensor = owner.alloc([size]);
      const pattern = Float32Array.from({ length: size }, (_, index) => which * 1000 + (index % 251) - 0.5);
      tensor.data.set(pattern);
      this.#tensors.push({ tensor, pattern });
    });
  }

  check(context: string): void {
    for (const [which, { tensor, pattern }] of this.#tensors.entries()) {
      const data = tensor.data;
      for (let index = 0; index < data.length; index++) {
        if (data[index] !== pattern[index]) expect.fail(`${context}: sentinel ${which} changed at [${index}]`);
      }
    }
  }

  dispose(): void {
    for (const { tensor } of this.#tensors) tensor.dispose();
  }
}

describe('allocations that cannot fit', () => {
  let sentinels: Sentinels;

  beforeAll(() => {
    sentinels = new Sentinels(api, [1, 7, 64, 1000, 65536]);
  });

  afterAll(() => sentinels.dispose());

  const impossible: [label: string, call: () => unknown, message: RegExp][] = [
    ['alloc of 3 GiB', () => api.alloc([3, 2 ** 28]), /cannot allocate 3221225472 bytes for a WasmTensor of shape \[3,268435456\]/],
    ['alloc of exactly 2 GiB', () => api.alloc([2 ** 29]), /cannot allocate 2147483648 bytes .*at most 2147483584 bytes/],
    ['alloc of 2^30 + 1 elements', () => api.alloc([2 ** 30 + 1]), /shape\[0\] is 1073741825/],
    ['alloc of 4 GiB in two axes', () => api.alloc([2 ** 16, 2 ** 14]), /cannot allocate 4294967296 bytes/],
    [
      'a cosine whose broadcast output is 16 GiB',
      () => api.cosineSimilarity({ data: new Float32Array(65536), shape: [65536, 1, 1] }, { data: new Float32Array(65536), shape: [1, 65536, 1] }, { dim: 2 }),
      /cannot allocate 17179869184 bytes for the result \[65536,65536\]/,
    ],
    [
      'a cosine whose broadcast output is 2 GiB: refused before the operands are copied',
      () => api.cosineSimilarity({ data: new Float32Array(32768), shape: [32768, 1, 1] }, { data: new Float32Array(16384), shape: [1, 16384, 1] }, { dim: 2 }),
      /cannot allocate 2147483648 bytes for the result \[32768,16384\]/,
    ],
    [
      'a 3.6 GB pairwise matrix',
      () => api.pairwiseCosine({ data: new Float32Array(30000), shape: [30000, 1] }),
      /30000,30000|more than WASM memory holds/,
    ],
  ];

  test.each(impossible)('%s: RangeError, memory not grown, nothing written, every tensor intact', (_, call, message) => {
    const memoryBefore = api.backendInfo().memoryBytes;
    const heapBefore = api.heapBytesInUse();
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
    expect(api.backendInfo().memoryBytes).toBe(memoryBefore);
    expect(api.heapBytesInUse()).toBe(heapBefore);
    sentinels.check('after the refused allocation');
    // Still usable, and able to grow for a real request.
    using grown = api.alloc([4 * 1024 * 1024]);
    grown.data[grown.data.length - 1] = 1;
    assertClose(api.cosineSimilarity(grown, grown, { dim: 0 }).data, [1], 1e-6, 0, 'after');
    sentinels.check('after growing again');
  });
});

describe('out buffers of the wrong size are refused, in every form, for every function', () => {
  const x = () => ({ data: Float32Array.from({ length: 12 }, (_, index) => index - 5), shape: [3, 4] });
  type Form = [label: string, make: (length: number) => { out: Float32Array | WasmTensor; done: () => void }];
  const forms: Form[] = [
    ['Float32Array', (length) => ({ out: new Float32Array(length), done: () => {} })],
    ['WasmTensor', (length) => { const out = api.alloc([length]); return { out, done: () => out.dispose() }; }],
    ['view of a WasmTensor', (length) => { const owner = api.alloc([length + 3]); return { out: owner.data.subarray(1, 1 + length), done: () => owner.dispose() }; }],
    ['WasmTensor of another instance', (length) => { const out = other.alloc([length]); return { out, done: () => out.dispose() }; }],
  ];
  const calls: [label: string, expected: number, run: (out: Float32Array | WasmTensor) => unknown][] = [
    ['cosineSimilarity', 3, (out) => api.cosineSimilarity(x(), x(), { out })],
    ['cosineDistance', 4, (out) => api.cosineDistance(x(), x(), { dim: 0, out })],
    ['normalize', 12, (out) => api.normalize(x(), { out })],
    ['pairwiseCosine', 9, (out) => api.pairwiseCosine(x(), undefined, { out })],
  ];
  for (const [name, expected, run] of calls) {
    test.each(forms)(`${name}: %s one too short, one too long, empty`, (_, make) => {
      const heapBefore = api.heapBytesInUse();
      for (const length of [expected - 1, expected + 1, 0]) {
        const { out, done } = make(length);
        try {
          expect(() => run(out)).toThrow(RangeError);
          expect(() => run(out)).toThrow(new RegExp(`out has ${length} elements but the result \\[[0-9,]*\\] has ${expected}`));
        } finally {
          done();
        }
      }
      expect(api.heapBytesInUse()).toBe(heapBefore);
    });
  }
});

describe('aliasing: out overlapping an input', () => {
  const values = Float32Array.from({ length: 24 }, (_, index) => Math.sin(index * 1.7) * 3);

  test('cosine: out is a view over the start of x1 (partial overlap): computed from the original x1', () => {
    using x1 = api.alloc([6, 4]);
    x1.data.set(values);
    const x2 = { data: values.map((value) => value * 0.5 + 1), shape: [6, 4] };
    const expected = cosineReference({ x1: values, shape1: [6, 4], x2: x2.data, shape2: [6, 4], dims: 1, eps: Math.fround(1e-8), clamp: false, distance: false });
    if (!('ok' in expected)) throw new Error('unreachable');
    const out = x1.data.subarray(2, 8);
    const result = api.cosineSimilarity(x1, x2, { out });
    assertClose(result.data, expected.ok.data, 1e-5, 0, 'overlap');
    assertClose(x1.data.subarray(2, 8), expected.ok.data, 1e-5, 0, 'written into x1');
    assertClose(x1.data.subarray(8), values.subarray(8), 0, 0, 'rest of x1 untouched');
  });

  test('cosine: out is x1 itself ([3,1] broadcast against [3,4]) and x2 is x1', () => {
    using x1 = api.alloc([3, 1]);
    x1.data.set([2, -1, 0]);
    const x2 = { data: values.subarray(0, 12), shape: [3, 4] };
    const expected = cosineReference({ x1: [2, -1, 0], shape1: [3, 1], x2: x2.data, shape2: [3, 4], dims: 1, eps: Math.fround(1e-8), clamp: false, distance: false });
    if (!('ok' in expected)) throw new Error('unreachable');
    assertClose(api.cosineSimilarity(x1, x2, { out: x1 }).data, expected.ok.data, 1e-5, 0, 'out = x1');
    assertClose(x1.data, expected.ok.data, 1e-5, 0, 'x1 holds the result');
    // Both operands the same tensor: allowed (inputs may overlap each other).
    using y = api.alloc([2, 3]);
    y.data.set([1, 2, 3, -3, 0, 4]);
    assertClose(api.cosineSimilarity(y, y, { dim: 0 }).data, [1, 1, 1], 1e-6, 0, 'same');
  });

  test('normalize in place: out is the input WasmTensor, or the very same view', () => {
    const expected = normalizeReference({ x: values, shape: [4, 6], p: 2, dim: 1, eps: 1e-12 });
    if (!('ok' in expected)) throw new Error('unreachable');
    using x = api.alloc([4, 6]);
    x.data.set(values);
    const result = api.normalize(x, { out: x });
    expect(result.data.byteOffset).toBe(x.data.byteOffset);
    assertClose(x.data, expected.ok, 1e-6, 1e-5, 'in place');
    using owner = api.alloc([30]);
    owner.data.set(values, 3);
    const view = owner.data.subarray(3, 27);
    api.normalize({ data: view, shape: [4, 6] }, { out: view });
    assertClose(owner.data.subarray(3, 27), expected.ok, 1e-6, 1e-5, 'view in place');
  });

  test('normalize: out shifted one float over the input: routed through scratch, correct', () => {
    const expected = normalizeReference({ x: values, shape: [4, 6], p: 1, dim: 0, eps: 1e-12 });
    if (!('ok' in expected)) throw new Error('unreachable');
    for (const shift of [-1, 1]) {
      using owner = api.alloc([26]);
      owner.data.set(values, 1);
      const input = owner.data.subarray(1, 25);
      const out = owner.data.subarray(1 + shift, 25 + shift);
      const result = api.normalize({ data: input, shape: [4, 6] }, { p: 1, dim: 0, out });
      assertClose(result.data, expected.ok, 1e-6, 1e-5, `shift ${shift}`);
      assertClose(owner.data.subarray(1 + shift, 25 + shift), expected.ok, 1e-6, 1e-5, `shift ${shift} in memory`);
    }
  });

  test('out is the same JS array as an input: inputs are copied before anything is written', () => {
    const data = Float32Array.from(values.subarray(0, 12));
    const expected = normalizeReference({ x: data, shape: [3, 4], p: Number.POSITIVE_INFINITY, dim: -1, eps: 1e-12 });
    if (!('ok' in expected)) throw new Error('unreachable');
    expect(api.normalize({ data, shape: [3, 4] }, { p: Number.POSITIVE_INFINITY, dim: -1, out: data }).data).toBe(data);
    assertClose(data, expected.ok, 1e-6, 1e-5, 'js in place');
    const first = Float32Array.from(values.subarray(0, 8));
    const cosine = cosineReference({ x1: first, shape1: [2, 4], x2: first, shape2: [2, 4], dims: 0, eps: Math.fround(1e-8), clamp: false, distance: true });
    if (!('ok' in cosine)) throw new Error('unreachable');
    api.cosineDistance({ data: first, shape: [2, 4] }, { data: first, shape: [2, 4] }, { dim: 0, out: first.subarray(0, 4) });
    assertClose(first.subarray(0, 4), cosine.ok.data, 1e-5, 0, 'js distance');
  });

  test('out is a WasmTensor of another instance: written through a copy', () => {
    using out = other.alloc([3]);
    const x = { data: values.subarray(0, 12), shape: [3, 4] };
    const expected = cosineReference({ x1: x.data, shape1: [3, 4], x2: x.data, shape2: [3, 4], dims: 1, eps: Math.fround(1e-8), clamp: true, distance: false });
    if (!('ok' in expected)) throw new Error('unreachable');
    api.cosineSimilarity(x, x, { clamp: true, out });
    assertClose(out.data, expected.ok.data, 1e-6, 0, 'foreign out');
  });
});
