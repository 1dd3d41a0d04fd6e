// A `data` view keeps its WasmTensor's memory alive: the FinalizationRegistry frees a tensor
// only once no view it handed out is reachable. Runs with --expose-gc (the `gc` project).

import { type Cosinekit, createInstanceSync } from 'cosinekit';
import { expect, test } from 'vitest';

const collect = (globalThis as { gc?: () => void }).gc;

/** Collects garbage and lets FinalizationRegistry callbacks (queued as tasks) run. */
async function collectGarbage(): Promise<void> {
  for (let round = 0; round < 6; round++) {
    collect?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A view of a tensor whose handle is dropped at once. */
function keptView(kit: Cosinekit, length: number): Float32Array {
  return kit.alloc([length]).data;
}

test('the runner exposes gc', () => {
  expect(typeof collect).toBe('function');
});

/** An instance whose memory already holds what the test allocates: no allocation grows it (which would detach views). */
function roomyInstance(variant: 'scalar' | 'simd128'): Cosinekit {
  const kit = createInstanceSync({ variant });
  kit.alloc([4 * 1024 * 1024]).dispose();
  return kit;
}

test('a kept view outlives its dropped handle: its memory is not freed or reused', async () => {
  const kit = roomyInstance('simd128');
  const memory = kit.backendInfo().memoryBytes;
  const baseline = kit.heapBytesInUse();
  const view = keptView(kit, 65_536);
  view.fill(3);
  await collectGarbage();
  // Still allocated: the handle is unreachable, its view is not.
  expect(kit.heapBytesInUse()).toBeGreaterThanOrEqual(baseline + 65_536 * 4);
  using neighbour = kit.alloc([65_536]);
  neighbour.data.fill(7);
  expect(kit.backendInfo().memoryBytes).toBe(memory);
  view.fill(5); // before the fix, this overwrote `neighbour` and the allocator's free list
  expect(neighbour.data.every((value) => value === 7)).toBe(true);
  const result = kit.cosineSimilarity(neighbour, { data: view, shape: [65_536] }, { dim: 0 });
  expect(result.data[0]).toBeCloseTo(1, 6);
  expect(view.every((value) => value === 5)).toBe(true);
});

test('once the view is unreachable too, the registry frees the memory', async () => {
  const kit = roomyInstance('simd128');
  const baseline = kit.heapBytesInUse();
  (() => {
    const view = keptView(kit, 100_000);
    view.fill(1);
  })();
  await collectGarbage();
  expect(kit.heapBytesInUse()).toBe(baseline);
});

test('many dropped handles with kept views: none of them overlap, every one keeps its values', async () => {
  const kit = roomyInstance('scalar');
  const views = Array.from({ length: 200 }, (_, index) => {
    const view = keptView(kit, 257);
    view.fill(index);
    return view;
  });
  await collectGarbage();
  const fresh = Array.from({ length: 200 }, () => kit.alloc([257]));
  for (const tensor of fresh) tensor.data.fill(-1);
  expect(views.every((view) => view.length === 257)).toBe(true);
  views.forEach((view, index) => expect(view.every((value) => value === index), `view ${index}`).toBe(true));
  for (const tensor of fresh) tensor.dispose();
});

test('a result written to out (the data view of a tensor nobody else holds) keeps that tensor alive', async () => {
  const kit = roomyInstance('simd128');
  const n = 1024;
  const x = { data: new Float32Array(n).fill(2), shape: [1, n] };
  const result = kit.normalize(x, { out: kit.alloc([1, n]).data });
  await collectGarbage();
  const other = kit.alloc([1, n]);
  other.data.fill(5);
  expect(result.data[0]).toBeCloseTo(1 / 32, 7);
  expect(result.data.byteOffset).not.toBe(other.data.byteOffset);
  other.dispose();
});
