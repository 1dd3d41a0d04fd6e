// No growth over 100,000 mixed calls: after a warm-up, WASM memory and heapBytesInUse()
// are exactly at their baseline, and a sentinel WasmTensor is untouched. The 1,000,000-call
// version with a memory table is `node test/robustness/soak.mjs`.

import { createInstanceSync } from 'cosinekit';
import { expect, test } from 'vitest';
import { Sentinel } from './harness.js';
import { createMix } from './mix.mjs';

test('100k mixed calls (every input form, out, in place, alloc/dispose, errors): no memory growth, no leak', () => {
  const api = createInstanceSync();
  const sentinel = new Sentinel(api);
  const heapBeforeMix = api.heapBytesInUse();
  const mix = createMix(api);
  const warmUp = 5_000;
  for (let index = 0; index < warmUp; index++) mix.step(index);
  const memoryBaseline = api.backendInfo().memoryBytes;
  const heapBaseline = api.heapBytesInUse();
  const samples: number[] = [];
  for (let index = warmUp; index < warmUp + 100_000; index++) {
    mix.step(index);
    if (index % 10_000 === 0) samples.push(api.backendInfo().memoryBytes);
  }
  expect(api.backendInfo().memoryBytes).toBe(memoryBaseline);
  expect(samples.every((bytes) => bytes === memoryBaseline)).toBe(true);
  expect(api.heapBytesInUse()).toBe(heapBaseline);
  mix.dispose();
  expect(api.heapBytesInUse()).toBe(heapBeforeMix);
  sentinel.check('after 100k calls');
});
